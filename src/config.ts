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
    'Largest incoming WebSocket message in bytes (1024 to 104857600); a bigger one closes its session with code 1009. Default 4194304.',
  MAX_SESSIONS: 'Most workflow sessions open at once (1 to 100000); upgrades beyond it get HTTP 503. Default 1000.',
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
  // A 60 s listen with audio (transcribe: false) is about 2.6 MB of base64.
  maxPayloadBytes: 4 * 1024 * 1024,
  maxSessions: 1000,
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

function readInteger(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const parsed = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw new ConfigError(name, `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
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

const DOTENV_KEY_LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/;
const MAX_NAME_CHARS = 60;

/**
 * Checks a `.env` file for what would otherwise be silently ignored: a key this app does not read
 * (not in {@link ENV_VARIABLES}, so `PROT=9090`), and a line that is not `KEY=value`. Returns one
 * warning per problem, naming the key and the closest known name, or the line's number (never
 * its text: it may hold a secret). Empty when the file is fine or missing. The caller prints them.
 *
 * @example
 * checkDotenv('.env') // ['.env: PROT is not a variable this app reads (did you mean PORT?); it is ignored']
 */
export function checkDotenv(path = '.env'): string[] {
  if (!existsSync(path)) return [];
  const known = Object.keys(ENV_VARIABLES);
  const warnings: string[] = [];
  let closingQuote: string | undefined;
  readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .forEach((line, index) => {
      if (closingQuote !== undefined) {
        // Inside a quoted value that spans lines: it ends at the line holding the closing quote.
        if (line.includes(closingQuote)) closingQuote = undefined;
        return;
      }
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) return;
      const match = DOTENV_KEY_LINE.exec(line);
      if (match === null) {
        warnings.push(`${path} line ${index + 1} is not KEY=value; it is ignored (the line is not shown: it may hold a secret)`);
        return;
      }
      const [, key = '', value = ''] = match;
      const quote = value[0];
      if ((quote === '"' || quote === "'" || quote === '`') && !value.slice(1).includes(quote)) closingQuote = quote;
      if (Object.hasOwn(ENV_VARIABLES, key)) return;
      const name = key.length > MAX_NAME_CHARS ? `${key.slice(0, MAX_NAME_CHARS)}…` : key;
      const closest = closestName(key, known);
      const hint = closest === undefined ? 'the ones it reads are listed in .env.example' : `did you mean ${closest}?`;
      warnings.push(`${path}: ${name} is not a variable this app reads (${hint}); it is ignored`);
    });
  return warnings;
}

/** The known name nearest to `key` by edit distance (a swap counts once), if near enough to be a typo. */
function closestName(key: string, known: readonly string[]): string | undefined {
  const upper = key.toUpperCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(upper, name);
    if (best === undefined || distance < best.distance) best = { name, distance };
  }
  return best !== undefined && best.distance <= Math.max(2, Math.floor(best.name.length / 3)) ? best.name : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, at(i - 2, j - 2) + 1);
      (rows[i] as number[])[j] = distance;
    }
  }
  return at(a.length, b.length);
}
