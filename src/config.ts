import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse as parseDotenv } from 'dotenv';

/** Log levels pino understands, quietest last. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Everything the server reads from its environment. Each field is documented three times, with the
 * same words: here, in `.env.example` and in `app.json` (the README's table repeats them).
 */
export interface Config {
  /** TCP port to listen on. Heroku sets it for every web dyno. */
  readonly port: number;
  /** Interface to bind. `0.0.0.0` is what Heroku's router expects. */
  readonly host: string;
  /** Lowest level written to the log. */
  readonly logLevel: LogLevel;
  /** Interval between WebSocket pings; a session whose peer missed the last pong is ended. */
  readonly heartbeatMs: number;
  /** How long a shutdown lets open sessions finish before closing them with code 1001. */
  readonly shutdownGraceMs: number;
  /** Largest incoming WebSocket message; a bigger one closes its session with 1009. */
  readonly maxPayloadBytes: number;
  /** Most sessions open at once; upgrades beyond it get 503. */
  readonly maxSessions: number;
  /** How long a new session has to send its start event before it is closed with 1008. */
  readonly startTimeoutMs: number;
  /** Most bytes of events one session may have waiting behind a running handler; over it, 1008. */
  readonly maxQueuedBytes: number;
  /** Most bytes all sessions together may hold (messages arriving, events queued); over it, the largest holder gets 1008. */
  readonly maxBufferedBytes: number;
  /** When set, an upgrade must carry it as the `token` query parameter or gets 401. */
  readonly workflowToken: string | undefined;
  /** Log frames at debug with speech, `say` text and audio in clear (local debugging only). */
  readonly logPrivateData: boolean;
  /** The app's public host name, from Heroku dyno metadata; workflows' `wss://` URLs are logged with it. */
  readonly herokuAppDomain: string | undefined;
  /** The Heroku release running (`v42`), from dyno metadata; shown on the status page. */
  readonly herokuReleaseVersion: string | undefined;
  /** The git commit of the slug running, from dyno metadata; shown on the status page. */
  readonly herokuSlugCommit: string | undefined;
}

/**
 * Every variable {@link loadConfig} reads, with its description: the exact text `.env.example`
 * (the comment above the variable) and `app.json` (`env.<name>.description`) must carry. A test
 * checks both files and the README table against this list, and this list against the source.
 */
export const ENV_VARIABLES: Readonly<Record<string, string>> = Object.freeze({
  PORT: 'TCP port to listen on. Heroku sets it for every web dyno. Default 8080.',
  HOST: "Interface to bind. 0.0.0.0 is what Heroku's router expects. Default 0.0.0.0.",
  LOG_LEVEL: 'Lowest level written to the log: trace, debug, info, warn, error, fatal or silent. Default info.',
  HEARTBEAT_MS:
    "Milliseconds between WebSocket pings; a session whose peer missed the last pong is ended. Must stay under Heroku's 55 s idle cut-off. Default 25000.",
  SHUTDOWN_GRACE_MS:
    "Milliseconds a shutdown (SIGTERM on deploys and restarts) lets open sessions finish before closing them with code 1001. Must end before Heroku's SIGKILL at 30 s. Default 25000.",
  MAX_PAYLOAD_BYTES:
    'Largest incoming WebSocket message in bytes (1024 to 104857600); a bigger one closes its session with code 1009. Default 3145728 (a minute of listen audio is about 2.6 MB).',
  MAX_SESSIONS: 'Most workflow sessions open at once (1 to 100000); upgrades beyond it get HTTP 503. Default 1000.',
  START_TIMEOUT_MS:
    'Milliseconds a new session has to send its start event (Relay sends it at once) before it is closed with code 1008 and stops counting against MAX_SESSIONS (100 to 55000). Default 10000.',
  MAX_QUEUED_BYTES:
    'Most bytes of events one session may have waiting behind a running handler (MAX_PAYLOAD_BYTES to 104857600); a peer over it is closed with code 1008. Default 4194304.',
  MAX_BUFFERED_BYTES:
    'Most bytes all sessions of the process together may hold, counting messages still arriving and events queued (MAX_QUEUED_BYTES to 1073741824); over it, the session holding the most is closed with code 1008. Default 67108864.',
  WORKFLOW_TOKEN:
    'Shared secret: when set, Relay must connect with ?token=<this value> at the end of the workflow URI, or gets HTTP 401. 16 to 256 characters from A-Z a-z 0-9 . _ ~ - (openssl rand -hex 32 makes one). Default unset: anyone with the URL can connect.',
  LOG_PRIVATE_DATA:
    'true logs every frame at debug level with speech, say text and audio in clear: for debugging on your own machine only. Default false.',
  HEROKU_APP_DEFAULT_DOMAIN_NAME:
    "Set by Heroku when dyno metadata is on (heroku labs:enable runtime-dyno-metadata): the app's host name, used to log each workflow's public wss:// URL at startup. Do not set it yourself.",
  HEROKU_RELEASE_VERSION:
    'Set by Heroku when dyno metadata is on: the release running, such as v42, shown on the status page. Do not set it yourself.',
  HEROKU_SLUG_COMMIT:
    'Set by Heroku when dyno metadata is on: the git commit running, shown on the status page. Do not set it yourself.',
});

export const DEFAULT_CONFIG: Config = Object.freeze({
  port: 8080,
  host: '0.0.0.0',
  logLevel: 'info',
  heartbeatMs: 25_000,
  shutdownGraceMs: 25_000,
  // The largest frame Relay sends is a speech event with audio (listen with transcribe: false):
  // at most 60 s, about 1.9 MB of 16 kHz 16-bit audio, 2.6 MB as base64. 3 MiB leaves room for the rest.
  maxPayloadBytes: 3 * 1024 * 1024,
  maxSessions: 1000,
  // Relay sends its start event as soon as the socket opens; 10 s allows for a slow network.
  startTimeoutMs: 10_000,
  // One such speech event and many small events; Relay sends a handful of events of a few hundred bytes at a time.
  maxQueuedBytes: 4 * 1024 * 1024,
  // On a 512 MB dyno, about a fifth of the memory, whatever the peers send.
  maxBufferedBytes: 64 * 1024 * 1024,
  workflowToken: undefined,
  logPrivateData: false,
  herokuAppDomain: undefined,
  herokuReleaseVersion: undefined,
  herokuSlugCommit: undefined,
});

/** A variable with a value the server cannot use. The message names the variable and the fix. */
export class ConfigError extends Error {
  readonly code = 'ERR_CONFIG';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates the configuration. This is the only place that knows variable names.
 * An empty value counts as unset. Throws {@link ConfigError} on the first bad value.
 *
 * @example
 * const config = loadConfig({ PORT: '5006' }) // { port: 5006, host: '0.0.0.0', ... }
 */
export function loadConfig(env: Env = readEnvironment()): Config {
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === '' ? undefined : raw;
  };
  const maxPayloadBytes = readInteger('MAX_PAYLOAD_BYTES', value('MAX_PAYLOAD_BYTES'), DEFAULT_CONFIG.maxPayloadBytes, 1024, 100 * 1024 * 1024);
  const maxQueuedBytes = readInteger(
    'MAX_QUEUED_BYTES',
    value('MAX_QUEUED_BYTES'),
    Math.max(DEFAULT_CONFIG.maxQueuedBytes, maxPayloadBytes),
    maxPayloadBytes,
    100 * 1024 * 1024,
    ' (at least MAX_PAYLOAD_BYTES, so that one message of the largest size can wait)',
  );
  return Object.freeze({
    port: readInteger('PORT', value('PORT'), DEFAULT_CONFIG.port, 1, 65_535),
    host: readHost('HOST', value('HOST'), DEFAULT_CONFIG.host),
    logLevel: readLogLevel('LOG_LEVEL', value('LOG_LEVEL'), DEFAULT_CONFIG.logLevel),
    // Heroku's router cuts a WebSocket that carries no byte for 55 s, so pings must come sooner.
    heartbeatMs: readInteger('HEARTBEAT_MS', value('HEARTBEAT_MS'), DEFAULT_CONFIG.heartbeatMs, 10, 54_000),
    // Heroku sends SIGKILL 30 s after SIGTERM. After the grace, closing handshakes may take up to
    // 4 s more (websocket-host.ts), so the grace stops at 25 s.
    shutdownGraceMs: readInteger(
      'SHUTDOWN_GRACE_MS',
      value('SHUTDOWN_GRACE_MS'),
      DEFAULT_CONFIG.shutdownGraceMs,
      0,
      25_000,
    ),
    maxPayloadBytes,
    maxSessions: readInteger('MAX_SESSIONS', value('MAX_SESSIONS'), DEFAULT_CONFIG.maxSessions, 1, 100_000),
    startTimeoutMs: readInteger('START_TIMEOUT_MS', value('START_TIMEOUT_MS'), DEFAULT_CONFIG.startTimeoutMs, 100, 55_000),
    // Each cap must hold at least one message of the largest size, or a real one would close its session.
    maxQueuedBytes,
    maxBufferedBytes: readInteger(
      'MAX_BUFFERED_BYTES',
      value('MAX_BUFFERED_BYTES'),
      Math.max(DEFAULT_CONFIG.maxBufferedBytes, maxQueuedBytes),
      maxQueuedBytes,
      1024 * 1024 * 1024,
      ' (at least MAX_QUEUED_BYTES)',
    ),
    workflowToken: readToken('WORKFLOW_TOKEN', value('WORKFLOW_TOKEN')),
    logPrivateData: readBoolean('LOG_PRIVATE_DATA', value('LOG_PRIVATE_DATA'), DEFAULT_CONFIG.logPrivateData),
    herokuAppDomain: readDomain('HEROKU_APP_DEFAULT_DOMAIN_NAME', value('HEROKU_APP_DEFAULT_DOMAIN_NAME')),
    herokuReleaseVersion: readPattern('HEROKU_RELEASE_VERSION', value('HEROKU_RELEASE_VERSION'), /^v\d{1,9}$/, 'v followed by digits, such as v42'),
    herokuSlugCommit: readPattern('HEROKU_SLUG_COMMIT', value('HEROKU_SLUG_COMMIT'), /^[0-9a-f]{7,64}$/, 'a git commit id (hex)'),
  });
}

/**
 * The process environment, with a `.env` file in the working directory filling in what it lacks
 * (as `heroku local` does). Real environment variables always win over the file.
 */
export function readEnvironment(path = '.env'): Env {
  const fromFile = existsSync(path) ? parseDotenv(readFileSync(path)) : {};
  return { ...fromFile, ...process.env };
}

/** `why`, when given, explains a lower bound that comes from another variable. */
function readInteger(name: string, raw: string | undefined, fallback: number, min: number, max: number, why = ''): number {
  if (raw === undefined) return fallback;
  const parsed = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(name, `${name} must be an integer from ${min} to ${max}${why}, got ${JSON.stringify(raw)}`);
  }
  return parsed;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

function readHost(name: string, raw: string | undefined, fallback: string): string {
  if (raw === undefined) return fallback;
  if (isIP(raw) === 0 && !HOSTNAME.test(raw)) {
    throw new ConfigError(
      name,
      `${name} must be an IP address or a host name (use 0.0.0.0 on Heroku), got ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}

/** A DNS name only (no port, no scheme): it becomes part of logged URLs. */
function readDomain(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!HOSTNAME.test(raw)) {
    throw new ConfigError(name, `${name} must be a host name such as my-app-1a2b3c4d5e6f.herokuapp.com, got ${JSON.stringify(raw)}`);
  }
  return raw.toLowerCase();
}

function readPattern(name: string, raw: string | undefined, pattern: RegExp, what: string): string | undefined {
  if (raw === undefined) return undefined;
  if (!pattern.test(raw)) throw new ConfigError(name, `${name} must be ${what}, got ${JSON.stringify(raw)}`);
  return raw;
}

/** A secret: the message says what is wrong with it without repeating it. */
function readToken(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!/^[A-Za-z0-9._~-]{16,256}$/.test(raw)) {
    throw new ConfigError(
      name,
      `${name} must be 16 to 256 characters from A-Z a-z 0-9 . _ ~ - (it goes in the registered URL; ` +
        `make one with "openssl rand -hex 32"); the value set has ${raw.length} characters (not shown: it is a secret)`,
    );
  }
  return raw;
}

function readBoolean(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined) return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new ConfigError(name, `${name} must be true or false, got ${JSON.stringify(raw)}`);
}

function readLogLevel(name: string, raw: string | undefined, fallback: LogLevel): LogLevel {
  if (raw === undefined) return fallback;
  const level = LOG_LEVELS.find((candidate) => candidate === raw.toLowerCase());
  if (level === undefined) {
    throw new ConfigError(name, `${name} must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return level;
}
