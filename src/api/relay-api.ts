/**
 * The Relay HTTP API client (`RelayApi`): trigger a workflow, fetch a device. It also holds what
 * the client and the simulated cloud share: Relay's environments and the limits of a trigger.
 */
import pino from 'pino';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { hostOf, readAppInfo, withTimeout } from '../util';
import {
  afterAttempts,
  httpFailureMessage,
  noAnswerCode,
  parseJson,
  relayMessageOf,
  RelayApiError,
  RelayApiErrorCode,
  type RelayApiCall,
} from './errors';
import { AccessTokens, requestAccessToken, signInOf, type AccessToken, type SignIn } from './tokens';
import { isNoAnswer, sendWithRetries, type HttpAnswer, type HttpRequest, type SendOptions } from './transport';

/**
 * Relay's environments by their `RELAY_ENV` names, as relay CLI 1.x knows them: the HTTP API base
 * URL, the OpenID Connect issuer (Keycloak realm) and SDK client id of today's sign-in, and the
 * token service and client id of @relaypro/sdk 2.4.0's legacy sign-in, still used for an opaque
 * refresh token. RELAY_API_URL (or RELAY_HOST) selects another API host, RELAY_AUTH_URL another
 * sign-in host, RELAY_CLIENT_ID another client id; docs/relay-api.md says which token goes where.
 */
export const RELAY_ENVIRONMENTS = Object.freeze({
  pro: Object.freeze({
    apiUrl: 'https://all-main-pro-ibot.relaysvr.com',
    issuer: 'https://auth.relaypro.com/realms/Relay',
    clientId: 'RJZKRhh9',
    legacyAuthUrl: 'https://auth.relaygo.com',
    legacyClientId: 'TgDsXRuD',
  }),
  qa: Object.freeze({
    apiUrl: 'https://all-main-qa-ibot.relaysvr.com',
    issuer: 'https://auth2.relaygo.info/realms/Relay',
    clientId: 'rGGK996c',
    legacyAuthUrl: 'https://auth.relaygo.info',
    legacyClientId: 'rGGK996c',
  }),
});

export type RelayEnv = keyof typeof RELAY_ENVIRONMENTS;

export const RELAY_ENV_NAMES: readonly RelayEnv[] = ['pro', 'qa'];

/** The origins of Relay's sign-in services, current and legacy: the issuers a refresh token may name. */
const RELAY_AUTH_ORIGINS: readonly string[] = [
  ...new Set(
    Object.values(RELAY_ENVIRONMENTS).flatMap((env) => [new URL(env.issuer).origin, new URL(env.legacyAuthUrl).origin]),
  ),
];

/**
 * How `refreshToken` signs in with these overrides, or the problem (for an error naming what to
 * set) when it is a JWT naming an issuer that is neither Relay's nor `authUrl`'s.
 */
export function relaySignIn(
  refreshToken: string,
  { env = 'pro', authUrl, clientId }: { env?: RelayEnv; authUrl?: string; clientId?: string } = {},
): SignIn | string {
  const environment = RELAY_ENVIRONMENTS[env];
  return signInOf({
    refreshToken,
    authUrl: authUrl?.replace(/\/+$/, ''),
    clientId,
    legacy: { authUrl: environment.legacyAuthUrl, clientId: environment.legacyClientId },
    oidcClientId: environment.clientId,
    relayOrigins: RELAY_AUTH_ORIGINS,
  });
}

/** What Relay's HTTP trigger takes: one definition for the client's checks and the simulated cloud's. */
export const RELAY_LIMITS = {
  /** Longest workflow or device id. */
  maxIdChars: 256,
  /** Most target devices in one trigger. */
  maxTargets: 1000,
  /** Most keys in a trigger's action_args. */
  maxArgs: 100,
  /** Longest action_args value. */
  maxArgChars: 16_384,
} as const;

export interface RelayApiOptions {
  /** The refresh token (RELAY_API_KEY). A call without it fails with ERR_RELAY_API_CONFIG. */
  apiKey: string | undefined;
  /** The subscriber (account) id (RELAY_SUBSCRIBER_ID). A call without it fails with ERR_RELAY_API_CONFIG. */
  subscriberId: string | undefined;
  /**
   * Relay's environment (RELAY_ENV): its API host, and the legacy token service and client id of
   * an opaque refresh token (a JWT names its own). Default pro.
   */
  env?: RelayEnv;
  /** Base URL of the HTTP API, no trailing slash (RELAY_API_URL). Default: the environment's. */
  apiUrl?: string;
  /**
   * Base URL replacing the sign-in host (RELAY_AUTH_URL), for both kinds of refresh token: an
   * opaque one goes to `<authUrl>/oauth2/token`, a JWT to `<authUrl><its issuer's path>/protocol/openid-connect/token`,
   * and a JWT may name this URL's origin as its issuer. Default: the JWT's issuer, or the
   * environment's legacy token service.
   */
  authUrl?: string;
  /** OAuth client id replacing the JWT's `azp` or the environment's legacy one (RELAY_CLIENT_ID). */
  clientId?: string;
  /** Limit for each HTTP attempt, answer body included. Default 10 000. */
  timeoutMs?: number;
  /** Attempts per request in all, first one included. Default 3. */
  maxAttempts?: number;
  /** Largest answer body read. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Where retries and token refreshes are logged (never a token). Default: silent. */
  logger?: Logger;
  fetch?: typeof globalThis.fetch;
  /** The jitter's randomness, in [0, 1). */
  random?: () => number;
  /** Waits between attempts; tests pass one that records the delays. */
  sleep?: (ms: number) => Promise<void>;
  /** The clock tokens expire by. */
  now?: () => number;
}

/** Options of one API call. */
export interface RelayCallOptions {
  /**
   * Give up after this long in all, token request, attempts and the waits between them included:
   * the call rejects with ERR_RELAY_API_DEADLINE, and the attempt in flight is cut. A route sets
   * it below the router's limit so that its caller hears an answer. Default: none.
   */
  deadlineMs?: number;
}

/** A JSON value, as JSON.parse returns it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Relay's answer to a trigger: its body parsed as JSON; its text when that is not JSON;
 * undefined when the body is empty.
 */
export type RelayAnswer = JsonValue | undefined;

const MIB = 1024 * 1024;
/** RELAY_API_KEY and the rotated refresh tokens before the current one (an answer may echo an old one). */
const MAX_REFRESH_TOKENS_KEPT = 4;

/** What an API call sends, whatever its token. */
interface ApiRequest {
  method: 'GET' | 'POST';
  path: string;
  body: string | undefined;
  /** The device the call is about: its `user_id` when the sign-in validated none. */
  device: string | undefined;
}

/**
 * A client for Relay's HTTP API: one per server, built from config by `relayApiFromConfig`. It
 * gets access tokens from the refresh token and caches them until shortly before they expire;
 * concurrent calls share one token request; a 401 gets one new token and one more try. Every HTTP
 * attempt has a timeout, and a call may have a deadline; network failures, 429 (with Retry-After),
 * 502, 503 and 504 are retried with backoff and jitter up to `maxAttempts` attempts. Failures are
 * {@link RelayApiError}s whose messages say what to check and never hold a token.
 *
 * @example
 * const api = new RelayApi({ apiKey: config.relayApiKey, subscriberId: config.relaySubscriberId, logger })
 * await api.triggerWorkflow('wf_broadcast_x1y2', ['990007560012345'], { text: 'Lunch is ready' })
 */
export class RelayApi {
  private readonly apiKey: string | undefined;
  private readonly subscriberId: string | undefined;
  private readonly apiUrl: string;
  /** How the refresh token signs in, or why it cannot (a JWT naming a foreign issuer). */
  private readonly signIn: SignIn | string | undefined;
  private readonly clientIdOverridden: boolean;
  /**
   * The refresh token the next grant redeems: RELAY_API_KEY, then whatever the last OpenID Connect
   * grant rotated it to (kept in memory only; config cannot be written back).
   */
  private refreshToken: string | undefined;
  /** RELAY_API_KEY and the latest rotated refresh tokens, scrubbed from anything Relay echoes. */
  private readonly refreshTokens: string[] = [];
  private readonly transport: SendOptions;
  private readonly logger: Logger;
  private readonly userAgent: string;
  private readonly tokens: AccessTokens;
  private readonly now: () => number;

  constructor({
    apiKey,
    subscriberId,
    env = 'pro',
    apiUrl = RELAY_ENVIRONMENTS[env].apiUrl,
    authUrl,
    clientId,
    timeoutMs = 10_000,
    maxAttempts = 3,
    maxBodyBytes = MIB,
    // Disabled outright: a silent logger on stdout would still open a stream and a flush timer.
    logger = pino({ enabled: false }),
    fetch = globalThis.fetch,
    random = Math.random,
    sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    now = Date.now,
  }: RelayApiOptions) {
    this.apiKey = apiKey === '' ? undefined : apiKey;
    this.subscriberId = subscriberId === '' ? undefined : subscriberId;
    this.apiUrl = apiUrl.replace(/\/+$/, '');
    this.signIn = this.apiKey === undefined ? undefined : relaySignIn(this.apiKey, { env, authUrl, clientId });
    this.clientIdOverridden = clientId !== undefined;
    this.refreshToken = this.apiKey;
    if (this.apiKey !== undefined) this.refreshTokens.push(this.apiKey);
    this.logger = logger;
    this.transport = {
      fetch,
      timeoutMs,
      maxAttempts: Math.max(1, Math.floor(maxAttempts)),
      maxBodyBytes,
      random,
      sleep,
      logger,
    };
    const app = readAppInfo();
    this.userAgent = `${app.name}/${app.version} node/${process.version}`;
    this.now = now;
    this.tokens = new AccessTokens((call) => this.requestToken(call), now);
  }

  /**
   * Fires a workflow's HTTP trigger: Relay opens a session to the workflow's URL on each target
   * device (or the devices it was registered for), and its start event carries `args` as
   * `trigger.args.args`. Resolves with Relay's answer once Relay has accepted the trigger.
   *
   * @param workflowId the id `relay workflow:create:http` printed (`wf_...`)
   * @param targets device ids to run it on
   * @param args string values the workflow reads from its start event
   */
  async triggerWorkflow(
    workflowId: string,
    targets?: readonly string[],
    args?: Readonly<Record<string, string>>,
    options: RelayCallOptions = {},
  ): Promise<RelayAnswer> {
    const call = 'triggerWorkflow';
    checkTrigger(call, workflowId, targets, args);
    const body: Record<string, unknown> = { action: 'invoke' };
    if (args !== undefined) body.action_args = { ...args };
    if (targets !== undefined) body.target_device_ids = [...targets];
    const path = `/ibot/workflow/${encodeURIComponent(workflowId)}`;
    const answer = await this.callApi(call, 'POST', path, JSON.stringify(body), targets?.[0], options);
    return answerOf(answer);
  }

  /** Relay's record of a device (label, status, battery, location...), as Relay's API returns it. */
  async fetchDevice(deviceId: string, options: RelayCallOptions = {}): Promise<Readonly<Record<string, unknown>>> {
    const call = 'fetchDevice';
    checkId(call, 'the device id', deviceId);
    const path = `/relaypro/api/v1/device/${encodeURIComponent(deviceId)}`;
    const answer = await this.callApi(call, 'GET', path, undefined, deviceId, options);
    const record = answerOf(answer);
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new RelayApiError({
        call,
        code: RelayApiErrorCode.RESPONSE,
        status: answer.status,
        message: `${call} failed: Relay answered HTTP ${answer.status} without a device record (a JSON object); check RELAY_API_URL`,
      });
    }
    return record;
  }

  /**
   * One authorized API call within the call's deadline, if it has one. `device` is the device the
   * call is about (a trigger's first target, the device fetched): after an OpenID Connect sign-in,
   * which validates no user id, it is the call's `user_id`, as relay CLI 1.x sends it.
   */
  private callApi(
    call: RelayApiCall,
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    device: string | undefined,
    { deadlineMs }: RelayCallOptions,
  ): Promise<HttpAnswer> {
    const request = { method, path, body, device };
    if (deadlineMs === undefined) return this.authorized(call, request);
    const deadline = new AbortController();
    return withTimeout(this.authorized(call, request, deadline.signal), deadlineMs, () => {
      deadline.abort();
      return new RelayApiError({
        call,
        code: RelayApiErrorCode.DEADLINE,
        deadlineMs,
        message: `${call} failed: Relay's API at ${hostOf(this.apiUrl)} did not answer within the call's ${deadlineMs} ms deadline (token request and retries included); check RELAY_API_URL, RELAY_ENV and the network`,
      });
    });
  }

  /** A token, the request, and on 401 one new token and one more try. */
  private async authorized(call: RelayApiCall, request: ApiRequest, signal?: AbortSignal): Promise<HttpAnswer> {
    let token = await this.token(call);
    let answer = await this.sendToApi(call, this.apiRequest(token, request), signal);
    if (answer.status === 401) {
      this.logger.info({ call }, 'Relay refused the access token; getting a new one');
      this.tokens.invalidate(token);
      token = await this.token(call);
      answer = await this.sendToApi(call, this.apiRequest(token, request), signal);
    }
    if (answer.status >= 200 && answer.status < 300) {
      this.logger.debug({ call, status: answer.status, attempts: answer.attempts }, 'Relay API call done');
      return answer;
    }
    const relayMessage = relayMessageOf(answer.text, this.secrets(token));
    throw new RelayApiError({
      call,
      code: answer.status === 401 ? RelayApiErrorCode.AUTH : RelayApiErrorCode.HTTP,
      status: answer.status,
      relayMessage,
      message: httpFailureMessage(call, answer.status, relayMessage, answer.attempts),
    });
  }

  private apiRequest(token: AccessToken, { method, path, body, device }: ApiRequest): HttpRequest {
    const query = new URLSearchParams({ subscriber_id: this.subscriberId ?? '' });
    const userId = token.userId ?? device;
    if (userId !== undefined) query.set('user_id', userId);
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token.accessToken}`,
      Accept: 'application/json',
      'User-Agent': this.userAgent,
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return { method, url: `${this.apiUrl}${path}?${query.toString()}`, headers, body, idempotent: method === 'GET' };
  }

  /** sendWithRetries, with no answer at all made the call's RelayApiError. */
  private async sendToApi(call: RelayApiCall, request: HttpRequest, signal?: AbortSignal): Promise<HttpAnswer> {
    const answer = await sendWithRetries(call, request, this.transport, signal);
    if (!isNoAnswer(answer)) return answer;
    const advice =
      answer.kind === 'too-large'
        ? 'check RELAY_API_URL'
        : answer.kind === 'timeout' && !request.idempotent
          ? 'check RELAY_API_URL, RELAY_ENV and the network; it was not retried, as Relay may have started the workflow already'
          : answer.kind === 'timeout'
            ? 'check RELAY_API_URL, RELAY_ENV and the network, or raise timeoutMs'
            : 'check RELAY_API_URL, RELAY_ENV and the network';
    throw new RelayApiError({
      call,
      code: noAnswerCode(answer.kind),
      message: `${call} failed: Relay's API at ${hostOf(this.apiUrl)}: ${answer.detail}${afterAttempts(answer.attempts)}; ${advice}`,
    });
  }

  /** The current access token; a token failure is a RelayApiError of this call. */
  private token(call: RelayApiCall): Promise<AccessToken> {
    if (this.apiKey === undefined || this.subscriberId === undefined) {
      const missing = this.apiKey === undefined ? 'RELAY_API_KEY' : 'RELAY_SUBSCRIBER_ID';
      throw new RelayApiError({
        call,
        code: RelayApiErrorCode.CONFIG,
        message: `${call} needs Relay API credentials, and ${missing} is not set: set RELAY_API_KEY (a refresh token from "relay token generate") and RELAY_SUBSCRIBER_ID`,
      });
    }
    if (typeof this.signIn === 'string') {
      throw new RelayApiError({ call, code: RelayApiErrorCode.CONFIG, message: `${call} failed: ${this.signIn}` });
    }
    return this.tokens.get(call);
  }

  private async requestToken(call: RelayApiCall): Promise<AccessToken> {
    const signIn = this.signIn;
    if (signIn === undefined || typeof signIn === 'string')
      throw new Error('requestToken before token() checked the sign-in');
    const { refreshToken, ...token } = await requestAccessToken(call, {
      signIn,
      refreshToken: this.refreshToken ?? '',
      refreshTokens: this.refreshTokens,
      clientIdOverridden: this.clientIdOverridden,
      userAgent: this.userAgent,
      now: this.now,
      send: this.transport,
    });
    if (refreshToken !== undefined && refreshToken !== this.refreshToken) {
      this.refreshToken = refreshToken;
      // RELAY_API_KEY stays first; only the latest few rotated tokens are kept for scrubbing.
      this.refreshTokens.splice(1, 0, refreshToken);
      this.refreshTokens.length = Math.min(this.refreshTokens.length, MAX_REFRESH_TOKENS_KEPT);
    }
    this.logger.debug(
      { signIn: signIn.kind, usableForSecs: Math.round((token.expiresAt - this.now()) / 1000) },
      'got a Relay access token',
    );
    return token;
  }

  private secrets(token: AccessToken): string[] {
    return [...this.refreshTokens, token.accessToken, ...this.tokens.secrets];
  }
}

/**
 * The server's RelayApi from its config, logging under `component: relay-api`; undefined when
 * RELAY_API_KEY and RELAY_SUBSCRIBER_ID are unset (loadConfig refuses one without the other).
 * `overrides` are for tests (fetch, sleep, timeouts).
 *
 * @example
 * const api = relayApiFromConfig(loadConfig(), logger)
 * if (api === undefined) logger.warn('set RELAY_API_KEY and RELAY_SUBSCRIBER_ID to trigger workflows')
 */
export function relayApiFromConfig(
  config: Config,
  logger: Logger,
  overrides: Partial<RelayApiOptions> = {},
): RelayApi | undefined {
  if (config.relayApiKey === undefined || config.relaySubscriberId === undefined) return undefined;
  return new RelayApi({
    apiKey: config.relayApiKey,
    subscriberId: config.relaySubscriberId,
    env: config.relayEnv,
    apiUrl: config.relayApiUrl,
    authUrl: config.relayAuthUrl,
    clientId: config.relayClientId,
    logger: logger.child({ component: 'relay-api' }),
    ...overrides,
  });
}

function answerOf(answer: HttpAnswer): RelayAnswer {
  if (answer.text.trim() === '') return undefined;
  return (parseJson(answer.text) as JsonValue | undefined) ?? answer.text;
}

/** Throws ERR_RELAY_API_ARGUMENT unless the trigger's arguments are what Relay takes. */
function checkTrigger(call: RelayApiCall, workflowId: unknown, targets: unknown, args: unknown): void {
  const { maxTargets, maxArgs, maxArgChars } = RELAY_LIMITS;
  checkId(call, 'the workflow id (wf_..., as "relay workflow:create:http" printed it)', workflowId);
  if (targets !== undefined) {
    if (!Array.isArray(targets) || targets.length > maxTargets)
      argumentError(call, `targets must be an array of at most ${maxTargets} device ids`);
    for (const target of targets as unknown[]) checkId(call, 'each target device id', target);
  }
  if (args === undefined) return;
  if (typeof args !== 'object' || args === null || Array.isArray(args))
    argumentError(call, 'args must be an object of string values');
  const entries = Object.entries(args);
  if (entries.length > maxArgs) argumentError(call, `args may have at most ${maxArgs} keys, got ${entries.length}`);
  for (const [key, value] of entries) {
    if (typeof value !== 'string' || value.length > maxArgChars) {
      argumentError(
        call,
        `args.${key.slice(0, 40)} must be a string of at most ${maxArgChars} characters (Relay's action_args take strings only; use String() or JSON.stringify)`,
      );
    }
  }
}

/** Throws ERR_RELAY_API_ARGUMENT unless `id` is a non-empty string Relay takes as an id. */
function checkId(call: RelayApiCall, what: string, id: unknown): void {
  const { maxIdChars } = RELAY_LIMITS;
  if (typeof id !== 'string' || id.trim() === '' || id.length > maxIdChars)
    argumentError(call, `${what} must be a non-empty string of at most ${maxIdChars} characters`);
}

function argumentError(call: RelayApiCall, problem: string): never {
  throw new RelayApiError({ call, code: RelayApiErrorCode.ARGUMENT, message: `${call}: ${problem}` });
}
