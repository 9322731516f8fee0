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
  /** When set, an upgrade must carry it as the `token` query parameter or gets 401. */
  readonly workflowToken: string | undefined;
  /** Log frames at debug with speech, `say` text and audio in clear (local debugging only). */
  readonly logPrivateData: boolean;
}

export const DEFAULT_CONFIG: Config = Object.freeze({
  port: 8080,
  host: '0.0.0.0',
  logLevel: 'info',
  heartbeatMs: 25_000,
  shutdownGraceMs: 25_000,
  // A 60 s listen with audio (transcribe: false) is about 2.6 MB of base64.
  maxPayloadBytes: 4 * 1024 * 1024,
  maxSessions: 1000,
  workflowToken: undefined,
  logPrivateData: false,
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
  return Object.freeze({
    port: readInteger('PORT', value('PORT'), DEFAULT_CONFIG.port, 1, 65_535),
    host: readHost('HOST', value('HOST'), DEFAULT_CONFIG.host),
    logLevel: readLogLevel('LOG_LEVEL', value('LOG_LEVEL'), DEFAULT_CONFIG.logLevel),
    // Heroku's router cuts a WebSocket that carries no byte for 55 s, so pings must come sooner.
    heartbeatMs: readInteger('HEARTBEAT_MS', value('HEARTBEAT_MS'), DEFAULT_CONFIG.heartbeatMs, 10, 54_000),
    // Heroku sends SIGKILL 30 s after SIGTERM; the grace must end before that, with time to close.
    shutdownGraceMs: readInteger(
      'SHUTDOWN_GRACE_MS',
      value('SHUTDOWN_GRACE_MS'),
      DEFAULT_CONFIG.shutdownGraceMs,
      0,
      28_000,
    ),
    maxPayloadBytes: readInteger(
      'MAX_PAYLOAD_BYTES',
      value('MAX_PAYLOAD_BYTES'),
      DEFAULT_CONFIG.maxPayloadBytes,
      1024,
      100 * 1024 * 1024,
    ),
    maxSessions: readInteger('MAX_SESSIONS', value('MAX_SESSIONS'), DEFAULT_CONFIG.maxSessions, 1, 100_000),
    workflowToken: readToken('WORKFLOW_TOKEN', value('WORKFLOW_TOKEN')),
    logPrivateData: readBoolean('LOG_PRIVATE_DATA', value('LOG_PRIVATE_DATA'), DEFAULT_CONFIG.logPrivateData),
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

function readInteger(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const parsed = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(name, `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return parsed;
}

function readHost(name: string, raw: string | undefined, fallback: string): string {
  if (raw === undefined) return fallback;
  const hostname = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;
  if (isIP(raw) === 0 && !hostname.test(raw)) {
    throw new ConfigError(
      name,
      `${name} must be an IP address or a host name (use 0.0.0.0 on Heroku), got ${JSON.stringify(raw)}`,
    );
  }
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
