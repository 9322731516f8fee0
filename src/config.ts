import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parse as parseDotenv } from 'dotenv';
import { RELAY_ENV_NAMES, RELAY_ENVIRONMENTS, RELAY_LIMITS, relaySignIn, type RelayEnv } from './api/relay-api';
import type { Install } from './relay/workflow-registry';

/** Log levels pino understands, quietest last. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Everything the server reads from its environment. Each field is documented three times, with the
 * same words: here, in `.env.example` and in `app.json` (the README's table repeats them).
 */
export interface Config {
  /** TCP port to listen on: PORT (Heroku sets it for every web dyno), else the caller's fallback, else 8080. */
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
  /**
   * When set, `npm run register` puts it in every registration as the arg `workflow_secret`, and a
   * session whose Relay answers another value (or none) to `get_var workflow_secret` is closed with 1008.
   */
  readonly workflowSecret: string | undefined;
  /** A second value sessions are also accepted with (the previous one, during a rotation); needs workflowSecret. */
  readonly workflowSecretPrevious: string | undefined;
  /** Log frames at debug with speech, `say` text and audio in clear (local debugging only). */
  readonly logPrivateData: boolean;
  /** The app's public host name, from Heroku dyno metadata; workflows' `wss://` URLs are logged with it. */
  readonly herokuAppDomain: string | undefined;
  /** The Heroku release running (`v42`), from dyno metadata; shown on the status page. */
  readonly herokuReleaseVersion: string | undefined;
  /** The git commit of the slug running, from dyno metadata; shown on the status page. */
  readonly herokuSlugCommit: string | undefined;
  /** Relay's refresh token for the HTTP API (a secret); unset means no API client. */
  readonly relayApiKey: string | undefined;
  /** The Relay subscriber (account) id every HTTP API call names. */
  readonly relaySubscriberId: string | undefined;
  /** The Relay environment the HTTP API client talks to. */
  readonly relayEnv: RelayEnv;
  /** Base URL of Relay's HTTP API, no trailing slash: RELAY_API_URL, else RELAY_HOST, else RELAY_ENV's. */
  readonly relayApiUrl: string;
  /**
   * Base URL replacing Relay's sign-in host, no trailing slash (RELAY_AUTH_URL); unset: the refresh
   * token's own issuer (a JWT), or RELAY_ENV's legacy token service (an opaque token).
   */
  readonly relayAuthUrl: string | undefined;
  /** OAuth client id replacing the refresh token's own (`azp`) or RELAY_ENV's legacy one (RELAY_CLIENT_ID). */
  readonly relayClientId: string | undefined;
  /** Redis (Heroku Key-Value Store) for the session bus and shared state; unset means the in-process bus. Holds a password. */
  readonly redisUrl: string | undefined;
  /** Where the transport sample POSTs its requests; unset means it only says that no dispatch system is set. */
  readonly dispatchWebhookUrl: string | undefined;
  /** The bearer token callers of the app's webhooks must send; unset means every webhook answers 503. A secret. */
  readonly webhookSecret: string | undefined;
  /** The broadcast sample's workflow id at Relay, which POST /hooks/broadcast triggers. */
  readonly broadcastWorkflowId: string | undefined;
  /** Where `npm run register` installs every workflow whose registration names no install of its own. */
  readonly relayInstall: Install | undefined;
  /** The app's public base URL (`https://host`), for a custom domain; else the host is herokuAppDomain. */
  readonly publicUrl: string | undefined;
  /** What a failed `register --release` (the Procfile's release phase) does to the release: fail it, only log, or skip registering. */
  readonly registerOnRelease: RegisterOnRelease;
}

/** The values of RELAY_REGISTER_ON_RELEASE. */
export const REGISTER_ON_RELEASE = ['fail', 'warn', 'off'] as const;
export type RegisterOnRelease = (typeof REGISTER_ON_RELEASE)[number];

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
  WORKFLOW_SECRET:
    'Secret that stays out of URLs: when set, npm run register puts it in every registration as the arg workflow_secret, and each session asks Relay for it (get_var) right after the start event, before any workflow code runs; a wrong, missing or late (5 s) answer closes the session with code 1008. 16 to 256 characters from A-Z a-z 0-9 . _ ~ - (openssl rand -hex 32 makes one). Default unset: no check.',
  WORKFLOW_SECRET_PREVIOUS:
    'A second value of WORKFLOW_SECRET that sessions are also accepted with: the previous one while a rotation re-registers (docs/security.md). Needs WORKFLOW_SECRET; same format. Default unset.',
  LOG_PRIVATE_DATA:
    'true logs every frame at debug level with speech, say text and audio in clear: for debugging on your own machine only. Default false.',
  HEROKU_APP_DEFAULT_DOMAIN_NAME:
    "Set by Heroku when dyno metadata is on (heroku labs:enable runtime-dyno-metadata): the app's host name, used to log each workflow's public wss:// URL at startup. Do not set it yourself.",
  HEROKU_RELEASE_VERSION:
    'Set by Heroku when dyno metadata is on: the release running, such as v42, shown on the status page. Do not set it yourself.',
  HEROKU_SLUG_COMMIT:
    'Set by Heroku when dyno metadata is on: the git commit running, shown on the status page. Do not set it yourself.',
  RELAY_API_KEY:
    'Secret: your Relay refresh token for the HTTP API (triggering workflows, device info), made once with relay token:generate (relay CLI 1.x; an older opaque token from @relaypro/sdk 2.4.0 days works too). Set it together with RELAY_SUBSCRIBER_ID. Default unset: no API client.',
  RELAY_SUBSCRIBER_ID:
    'Your Relay subscriber (account) id, sent with every HTTP API call. Set it together with RELAY_API_KEY. Default unset.',
  RELAY_ENV:
    'The Relay environment the HTTP API client talks to: pro or qa; it picks the API host, and the sign-in host and OAuth client id of a refresh token that names none (an older opaque one). Default pro.',
  RELAY_API_URL:
    "Base URL (http or https) of Relay's HTTP API, replacing the one RELAY_ENV picks, e.g. the simulated cloud of npm run sim -- cloud. Default https://all-main-pro-ibot.relaysvr.com for pro, https://all-main-qa-ibot.relaysvr.com for qa.",
  RELAY_AUTH_URL:
    "Base URL (http or https) replacing Relay's sign-in host, for a proxy or the simulated cloud: a refresh token from relay token:generate is redeemed at this URL plus its issuer's path (/realms/Relay/protocol/openid-connect/token), an older opaque one at this URL plus /oauth2/token. Default unset: the host the token names (auth.relaypro.com for pro), or auth.relaygo.com (pro) and auth.relaygo.info (qa) for an opaque token.",
  RELAY_CLIENT_ID:
    "OAuth client id sent with the refresh token, replacing the one the token names (RJZKRhh9 for pro, rGGK996c for qa), or RELAY_ENV's for an opaque token (TgDsXRuD for pro). Default unset.",
  RELAY_HOST:
    "@relaypro/sdk 2.4.0's way to replace the API host: a host name or an http(s) URL, which must contain the RELAY_ENV name (pro or qa) as in 2.4.0. Prefer RELAY_API_URL; set only one of the two. Default unset.",
  REDIS_URL:
    'Secret (it holds a password): redis:// or rediss:// URL of Redis for the session bus and webhook idempotency keys shared by every dyno; heroku addons:create heroku-redis sets it. rediss:// connects with TLS without verifying the certificate (Heroku uses self-signed ones). Default unset: an in-process bus, for one dyno.',
  DISPATCH_WEBHOOK_URL:
    'http(s) URL the transport sample POSTs each request to, as JSON {request_id, room, device}. Default unset: the sample tells the wearer that no dispatch system is set up.',
  WEBHOOK_SECRET:
    "Secret: the bearer token other systems must send to this app's webhooks (Authorization: Bearer <this value>), such as POST /hooks/broadcast and POST /hooks/transport/<id>. 16 to 256 characters from A-Z a-z 0-9 . _ ~ - (openssl rand -hex 32 makes one). Default unset: every webhook answers 503 saying what to set.",
  BROADCAST_WORKFLOW_ID:
    "The id of the broadcast sample's HTTP-triggered workflow (wf_..., printed by relay workflow:create:http), which POST /hooks/broadcast triggers through Relay's HTTP API. Default unset: that webhook answers 503.",
  RELAY_INSTALL:
    'Where npm run register installs every workflow whose registration names no install of its own: all (every device of the account), group:<group> (as relay workflow:create -G takes it) or a comma-separated list of device ids. Default unset: each registration must name its install.',
  PUBLIC_URL:
    "The app's public https:// base URL when it has a custom domain, such as https://relay.example.com; npm run register registers each workflow at wss://<its host>/<workflow>. Default unset: HEROKU_APP_DEFAULT_DOMAIN_NAME.",
  RELAY_REGISTER_ON_RELEASE:
    "What the Procfile's release phase (node dist/register.js --release, run on every deploy when RELAY_API_KEY is set) does when registering fails: fail (the release fails and Heroku keeps the previous one running), warn (log it and let the release go live) or off (never register on deploy). Default fail.",
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
  workflowSecret: undefined,
  workflowSecretPrevious: undefined,
  logPrivateData: false,
  herokuAppDomain: undefined,
  herokuReleaseVersion: undefined,
  herokuSlugCommit: undefined,
  relayApiKey: undefined,
  relaySubscriberId: undefined,
  relayEnv: 'pro',
  relayApiUrl: RELAY_ENVIRONMENTS.pro.apiUrl,
  relayAuthUrl: undefined,
  relayClientId: undefined,
  redisUrl: undefined,
  dispatchWebhookUrl: undefined,
  webhookSecret: undefined,
  broadcastWorkflowId: undefined,
  relayInstall: undefined,
  publicUrl: undefined,
  registerOnRelease: 'fail',
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
 * What a caller puts in place of a default when the environment leaves the variable unset: the
 * environment always wins. `relay({ port })` passes its `port` here, so that a dyno binds PORT.
 */
export interface ConfigFallbacks {
  /** Used when PORT is unset, instead of 8080 (0 picks a free port). */
  readonly port?: number;
}

/**
 * Reads and validates the configuration. This is the only place that knows variable names.
 * An empty value counts as unset. Throws {@link ConfigError} on the first bad value.
 *
 * @example
 * const config = loadConfig({ PORT: '5006' }) // { port: 5006, host: '0.0.0.0', ... }
 */
export function loadConfig(env: Env = readEnvironment(), fallbacks: ConfigFallbacks = {}): Config {
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === '' ? undefined : raw;
  };
  const maxPayloadBytes = readInteger(
    'MAX_PAYLOAD_BYTES',
    value('MAX_PAYLOAD_BYTES'),
    DEFAULT_CONFIG.maxPayloadBytes,
    1024,
    100 * 1024 * 1024,
  );
  const maxQueuedBytes = readInteger(
    'MAX_QUEUED_BYTES',
    value('MAX_QUEUED_BYTES'),
    Math.max(DEFAULT_CONFIG.maxQueuedBytes, maxPayloadBytes),
    maxPayloadBytes,
    100 * 1024 * 1024,
    ' (at least MAX_PAYLOAD_BYTES, so that one message of the largest size can wait)',
  );
  return Object.freeze({
    port: readInteger('PORT', value('PORT'), fallbacks.port ?? DEFAULT_CONFIG.port, 1, 65_535),
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
    startTimeoutMs: readInteger(
      'START_TIMEOUT_MS',
      value('START_TIMEOUT_MS'),
      DEFAULT_CONFIG.startTimeoutMs,
      100,
      55_000,
    ),
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
    workflowToken: readSecret('WORKFLOW_TOKEN', value('WORKFLOW_TOKEN'), 'it goes in the registered URL'),
    ...readWorkflowSecrets(value),
    logPrivateData: readBoolean('LOG_PRIVATE_DATA', value('LOG_PRIVATE_DATA'), DEFAULT_CONFIG.logPrivateData),
    herokuAppDomain: readDomain('HEROKU_APP_DEFAULT_DOMAIN_NAME', value('HEROKU_APP_DEFAULT_DOMAIN_NAME')),
    herokuReleaseVersion: readPattern(
      'HEROKU_RELEASE_VERSION',
      value('HEROKU_RELEASE_VERSION'),
      /^v\d{1,9}$/,
      'v followed by digits, such as v42',
    ),
    herokuSlugCommit: readPattern(
      'HEROKU_SLUG_COMMIT',
      value('HEROKU_SLUG_COMMIT'),
      /^[0-9a-f]{7,64}$/,
      'a git commit id (hex)',
    ),
    ...readRelayApi(value),
    redisUrl: readRedisUrl('REDIS_URL', value('REDIS_URL')),
    dispatchWebhookUrl: readWebhookUrl('DISPATCH_WEBHOOK_URL', value('DISPATCH_WEBHOOK_URL')),
    webhookSecret: readSecret(
      'WEBHOOK_SECRET',
      value('WEBHOOK_SECRET'),
      'callers send it as Authorization: Bearer <secret>',
    ),
    broadcastWorkflowId: readPattern(
      'BROADCAST_WORKFLOW_ID',
      value('BROADCAST_WORKFLOW_ID'),
      /^wf_[A-Za-z0-9_-]{1,120}$/,
      'a Relay workflow id such as wf_broadcast_abc123 (relay workflow:list shows it)',
    ),
    relayInstall: readInstall('RELAY_INSTALL', value('RELAY_INSTALL')),
    publicUrl: readPublicUrl('PUBLIC_URL', value('PUBLIC_URL')),
    registerOnRelease: readChoice(
      'RELAY_REGISTER_ON_RELEASE',
      value('RELAY_REGISTER_ON_RELEASE'),
      REGISTER_ON_RELEASE,
      DEFAULT_CONFIG.registerOnRelease,
    ),
  });
}

/** WORKFLOW_SECRET and WORKFLOW_SECRET_PREVIOUS: the second is only ever accepted beside the first. */
function readWorkflowSecrets(
  value: (name: string) => string | undefined,
): Pick<Config, 'workflowSecret' | 'workflowSecretPrevious'> {
  const use = 'npm run register puts it in every registration as the arg workflow_secret';
  const workflowSecret = readSecret('WORKFLOW_SECRET', value('WORKFLOW_SECRET'), use);
  const workflowSecretPrevious = readSecret('WORKFLOW_SECRET_PREVIOUS', value('WORKFLOW_SECRET_PREVIOUS'), use);
  if (workflowSecretPrevious !== undefined && workflowSecret === undefined) {
    throw new ConfigError(
      'WORKFLOW_SECRET_PREVIOUS',
      'WORKFLOW_SECRET_PREVIOUS is set but WORKFLOW_SECRET is not: set WORKFLOW_SECRET to the value to register (the previous one is only accepted beside it), or unset WORKFLOW_SECRET_PREVIOUS',
    );
  }
  return { workflowSecret, workflowSecretPrevious };
}

/** The HTTP API client's settings: credentials (both or neither), environment and base URLs. */
function readRelayApi(value: (name: string) => string | undefined): Pick<Config, RelayApiField> {
  const relayApiKey = readApiKey('RELAY_API_KEY', value('RELAY_API_KEY'));
  const relaySubscriberId = readPattern(
    'RELAY_SUBSCRIBER_ID',
    value('RELAY_SUBSCRIBER_ID'),
    /^[A-Za-z0-9._~-]{1,128}$/,
    'your Relay subscriber id (up to 128 characters from A-Z a-z 0-9 . _ ~ -)',
  );
  if ((relayApiKey === undefined) !== (relaySubscriberId === undefined)) {
    const [missing, set] =
      relayApiKey === undefined ? ['RELAY_API_KEY', 'RELAY_SUBSCRIBER_ID'] : ['RELAY_SUBSCRIBER_ID', 'RELAY_API_KEY'];
    throw new ConfigError(
      missing,
      `${set} is set but ${missing} is not: the Relay HTTP API needs both (or unset ${set})`,
    );
  }
  const relayEnv = readChoice('RELAY_ENV', value('RELAY_ENV'), RELAY_ENV_NAMES, DEFAULT_CONFIG.relayEnv);
  const defaults = RELAY_ENVIRONMENTS[relayEnv];
  const apiUrl = readBaseUrl('RELAY_API_URL', value('RELAY_API_URL'));
  const host = readRelayHost('RELAY_HOST', value('RELAY_HOST'), relayEnv);
  if (apiUrl !== undefined && host !== undefined) {
    throw new ConfigError(
      'RELAY_HOST',
      "RELAY_API_URL and RELAY_HOST are both set: keep RELAY_API_URL and unset RELAY_HOST (2.4.0's older name)",
    );
  }
  const relayAuthUrl = readBaseUrl('RELAY_AUTH_URL', value('RELAY_AUTH_URL'));
  const relayClientId = readPattern(
    'RELAY_CLIENT_ID',
    value('RELAY_CLIENT_ID'),
    /^[A-Za-z0-9._~:-]{1,128}$/,
    'an OAuth client id (up to 128 characters from A-Z a-z 0-9 . _ ~ : -) such as RJZKRhh9',
  );
  // A JWT naming a foreign issuer stops startup here, before anything could send it there.
  const signIn =
    relayApiKey === undefined ? undefined : relaySignIn(relayApiKey, { env: relayEnv, authUrl: relayAuthUrl });
  if (typeof signIn === 'string') throw new ConfigError('RELAY_API_KEY', signIn);
  return {
    relayApiKey,
    relaySubscriberId,
    relayEnv,
    relayApiUrl: apiUrl ?? host ?? defaults.apiUrl,
    relayAuthUrl,
    relayClientId,
  };
}

type RelayApiField =
  'relayApiKey' | 'relaySubscriberId' | 'relayEnv' | 'relayApiUrl' | 'relayAuthUrl' | 'relayClientId';

/**
 * The process environment, with a `.env` file in the working directory filling in what it lacks
 * (as `heroku local` does). Real environment variables always win over the file.
 */
export function readEnvironment(path = '.env'): Env {
  const fromFile = existsSync(path) ? parseDotenv(readFileSync(path)) : {};
  return { ...fromFile, ...process.env };
}

/** `why`, when given, explains a lower bound that comes from another variable. */
function readInteger(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
  why = '',
): number {
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
    throw new ConfigError(
      name,
      `${name} must be a host name such as my-app-1a2b3c4d5e6f.herokuapp.com, got ${JSON.stringify(raw)}`,
    );
  }
  return raw.toLowerCase();
}

function readPattern(name: string, raw: string | undefined, pattern: RegExp, what: string): string | undefined {
  if (raw === undefined) return undefined;
  if (!pattern.test(raw)) throw new ConfigError(name, `${name} must be ${what}, got ${JSON.stringify(raw)}`);
  return raw;
}

/** A secret of 16 to 256 URL-safe characters; `use` says where it goes. The message never repeats the value. */
function readSecret(name: string, raw: string | undefined, use: string): string | undefined {
  if (raw === undefined) return undefined;
  if (!/^[A-Za-z0-9._~-]{16,256}$/.test(raw)) {
    throw new ConfigError(
      name,
      `${name} must be 16 to 256 characters from A-Z a-z 0-9 . _ ~ - (${use}; ` +
        `make one with "openssl rand -hex 32"); the value set has ${raw.length} characters (not shown: it is a secret)`,
    );
  }
  return raw;
}

/** A secret: like readSecret, the message never repeats the value. */
function readApiKey(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!/^[\x21-\x7e]{8,4096}$/.test(raw)) {
    throw new ConfigError(
      name,
      `${name} must be a Relay refresh token (8 to 4096 printable characters, no spaces), as printed by "relay token:generate"; ` +
        `the value set has ${raw.length} characters (not shown: it is a secret)`,
    );
  }
  return raw;
}

/** `all`, `group:<group>` or a comma-separated list of device ids, as Relay takes them. */
function readInstall(name: string, raw: string | undefined): Install | undefined {
  if (raw === undefined) return undefined;
  const refuse = (problem: string): never => {
    throw new ConfigError(
      name,
      `${name} must be all, group:<group> or a comma-separated list of device ids (such as 990007560012345,990007560012346); ${problem}, got ${JSON.stringify(raw.slice(0, 200))}`,
    );
  };
  if (raw.toLowerCase() === 'all') return { type: 'all' };
  if (raw.toLowerCase().startsWith('group:')) {
    const group = raw.slice('group:'.length).trim();
    // eslint-disable-next-line no-control-regex
    if (!/^[^\x00-\x1f\x7f]{1,256}$/.test(group)) refuse('a group is 1 to 256 printable characters');
    return { type: 'group', group };
  }
  const devices = raw.split(',').map((id) => id.trim());
  if (devices.length > RELAY_LIMITS.maxTargets) refuse(`at most ${RELAY_LIMITS.maxTargets} device ids`);
  if (!devices.every((id) => /^[\x21-\x7e]{1,256}$/.test(id)))
    refuse('each device id is 1 to 256 printable characters without spaces');
  return { type: 'devices', devices: [...new Set(devices)] };
}

/** An https:// origin (no path, query or credentials): Relay connects to wss:// on its host. */
function readPublicUrl(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const url = URL.parse(raw);
  const shown = /[@?#]/.test(raw) ? '(not shown: it may hold a secret)' : JSON.stringify(raw.slice(0, 200));
  if (url === null || url.protocol !== 'https:' || url.hostname === '') {
    throw new ConfigError(
      name,
      `${name} must be the app's public https:// URL such as https://relay.example.com (Relay connects with wss:// to its host), got ${shown}`,
    );
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || url.pathname !== '/') {
    throw new ConfigError(
      name,
      `${name} must be a base URL without a path, credentials, query or #fragment, such as https://relay.example.com, got ${shown}`,
    );
  }
  return url.origin;
}

/**
 * An http(s) base URL without credentials, query or fragment; returned without a trailing slash.
 * A value with credentials is not repeated in the message.
 */
function readBaseUrl(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const url = URL.parse(raw);
  const shown = raw.includes('@')
    ? '(not shown: it looks like it holds credentials)'
    : JSON.stringify(raw.slice(0, 200));
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new ConfigError(
      name,
      `${name} must be an http:// or https:// URL such as https://all-main-pro-ibot.relaysvr.com, got ${shown}`,
    );
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new ConfigError(name, `${name} must be a base URL without credentials, query or #fragment, got ${shown}`);
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/**
 * A redis:// or rediss:// URL with a host. It holds a password: a message about it names only its
 * scheme and host, never the value.
 */
function readRedisUrl(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const url = URL.parse(raw);
  const scheme = url?.protocol ?? `${raw.split(':')[0]?.slice(0, 20)}:`;
  if (url === null || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new ConfigError(
      name,
      `${name} must be a redis:// or rediss:// URL such as rediss://:password@host:port (heroku addons:create heroku-redis sets it), ` +
        `got a value starting with ${JSON.stringify(scheme)} (the rest is not shown: it holds a password)`,
    );
  }
  return raw;
}

/** An http(s) URL; it may carry a token in its query or credentials, so a message never repeats those. */
function readWebhookUrl(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const url = URL.parse(raw);
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname === '') {
    const shown = /[@?#]/.test(raw) ? '(not shown: it may hold a secret)' : JSON.stringify(raw.slice(0, 200));
    throw new ConfigError(
      name,
      `${name} must be an http:// or https:// URL such as https://dispatch.example.com/requests, got ${shown}`,
    );
  }
  return raw;
}

/**
 * 2.4.0's RELAY_HOST: a bare host (https is assumed) or a full http(s) URL. Like 2.4.0, it must
 * contain the environment's name, which catches a qa host paired with a pro token and the reverse.
 */
function readRelayHost(name: string, raw: string | undefined, env: RelayEnv): string | undefined {
  if (raw === undefined) return undefined;
  const isUrl = /^https?:\/\//i.test(raw);
  if (!isUrl && !/^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$/.test(raw)) {
    throw new ConfigError(
      name,
      `${name} must be a host name such as all-main-pro-ibot.relaysvr.com or an http(s) URL, got ${JSON.stringify(raw.slice(0, 200))}`,
    );
  }
  const url = readBaseUrl(name, isUrl ? raw : `https://${raw}`) ?? '';
  if (!url.toLowerCase().includes(env)) {
    throw new ConfigError(
      name,
      `${name} must contain the RELAY_ENV name "${env}" (as @relaypro/sdk 2.4.0 requires), got ${JSON.stringify(raw.slice(0, 200))}: ` +
        'fix RELAY_ENV, or use RELAY_API_URL, which has no such rule',
    );
  }
  return url;
}

function readChoice<T extends string>(name: string, raw: string | undefined, choices: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  const choice = choices.find((candidate) => candidate === raw.toLowerCase());
  if (choice === undefined)
    throw new ConfigError(
      name,
      `${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw.slice(0, 200))}`,
    );
  return choice;
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
