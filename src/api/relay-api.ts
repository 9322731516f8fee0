/**
 * The Relay HTTP API client (`RelayApi`): trigger a workflow, fetch a device, list, save and
 * delete workflow registrations. It also holds what the client and the simulated cloud share:
 * Relay's environments, the limits of a trigger and of a registration.
 */
import pino from 'pino';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { hostOf, isRecord, readAppInfo, withTimeout } from '../util';
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
  /** Most registrations (workflow rows) one account's list may hold. */
  maxWorkflows: 1000,
  /** Largest registration row, as JSON. */
  maxWorkflowBytes: 64 * 1024,
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

/**
 * A registration as Relay's workflow API holds it (`GET /ibot/workflow`): `workflow_id`, `name`,
 * `options`, `config` (with `config.trigger.start.workflow.uri` and `.args`, and the trigger),
 * `install` or `install_rule` (docs/registration.md). Rows from {@link RelayApi.listWorkflows}
 * are copies whose objects have no prototype, with `config` parsed when Relay sent it as a string.
 */
export type WorkflowRow = { readonly workflow_id: string; readonly [field: string]: JsonValue };

/** A row to save: without `workflow_id` it creates a registration, with it it replaces that one. */
export type WorkflowRowInput = { readonly workflow_id?: string; readonly [field: string]: JsonValue | undefined };

const MIB = 1024 * 1024;
/** RELAY_API_KEY and the rotated refresh tokens before the current one (an answer may echo an old one). */
const MAX_REFRESH_TOKENS_KEPT = 4;

/** What an API call sends, whatever its token. */
interface ApiRequest {
  method: HttpRequest['method'];
  path: string;
  body: string | undefined;
  /** The device the call is about: its `user_id` when the sign-in validated none. */
  device: string | undefined;
  /** Whether an attempt that may have reached Relay can be repeated. */
  idempotent: boolean;
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
   * @param target device ids to run it on, or one device id as a string (as 2.4.0's types take it)
   * @param args string values the workflow reads from its start event
   */
  async triggerWorkflow(
    workflowId: string,
    target?: string | readonly string[],
    args?: Readonly<Record<string, string>>,
    options: RelayCallOptions = {},
  ): Promise<RelayAnswer> {
    const call = 'triggerWorkflow';
    const targets = typeof target === 'string' ? [target] : target;
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
   * The account's workflow registrations (`GET /ibot/workflow`). Relay's rows are checked and
   * copied ({@link WorkflowRow}); a row without a usable `workflow_id` is left out, as nothing
   * could update or delete it. More than `RELAY_LIMITS.maxWorkflows` rows fail with ERR_RELAY_API_RESPONSE.
   */
  async listWorkflows(options: RelayCallOptions = {}): Promise<WorkflowRow[]> {
    const call = 'listWorkflows';
    const answer = await this.callApi(call, 'GET', '/ibot/workflow', undefined, undefined, options);
    const parsed = parseJson(answer.text);
    const results = isRecord(parsed) && Object.hasOwn(parsed, 'results') ? parsed.results : undefined;
    if (!Array.isArray(results) || results.length > RELAY_LIMITS.maxWorkflows) {
      throw new RelayApiError({
        call,
        code: RelayApiErrorCode.RESPONSE,
        status: answer.status,
        message: `${call} failed: Relay answered HTTP ${answer.status} without a list of at most ${RELAY_LIMITS.maxWorkflows} workflows ({"results": [...]}); check RELAY_API_URL`,
      });
    }
    return results.flatMap((result) => workflowRowOf(result) ?? []);
  }

  /**
   * Saves a registration (`POST /ibot/workflow`): a row without `workflow_id` creates one, a row
   * with it replaces that one whole (Relay has no PUT). Resolves with the row Relay answered
   * (holding the new `workflow_id`), or undefined when its answer holds none. A create is not
   * retried after a timeout or a dropped connection: Relay may have created it already.
   */
  async saveWorkflow(row: WorkflowRowInput, options: RelayCallOptions = {}): Promise<WorkflowRow | undefined> {
    const call = 'saveWorkflow';
    if (!isRecord(row)) argumentError(call, 'the row must be an object');
    const update = Object.hasOwn(row, 'workflow_id');
    if (update) checkId(call, 'the workflow_id of an update', row.workflow_id);
    const body = JSON.stringify(row);
    if (Buffer.byteLength(body) > RELAY_LIMITS.maxWorkflowBytes)
      argumentError(call, `the row may have at most ${RELAY_LIMITS.maxWorkflowBytes} bytes as JSON`);
    const answer = await this.callApi(call, 'POST', '/ibot/workflow', body, undefined, options, update);
    const saved = answerOf(answer);
    return workflowRowOf(Array.isArray(saved) ? saved[0] : saved);
  }

  /** Deletes a registration (`DELETE /ibot/workflow/<workflow id>`); Relay's answer body is ignored. */
  async deleteWorkflow(workflowId: string, options: RelayCallOptions = {}): Promise<void> {
    const call = 'deleteWorkflow';
    checkId(call, 'the workflow id (wf_...)', workflowId);
    await this.callApi(
      call,
      'DELETE',
      `/ibot/workflow/${encodeURIComponent(workflowId)}`,
      undefined,
      undefined,
      options,
    );
  }

  /**
   * One authorized API call within the call's deadline, if it has one. `device` is the device the
   * call is about (a trigger's first target, the device fetched): after an OpenID Connect sign-in,
   * which validates no user id, it is the call's `user_id`, as relay CLI 1.x sends it; the
   * registration calls name none, and send `subscriber_id` alone then. `idempotent` (default: all
   * but POST) says whether an attempt that may have reached Relay can be repeated.
   */
  private callApi(
    call: RelayApiCall,
    method: HttpRequest['method'],
    path: string,
    body: string | undefined,
    device: string | undefined,
    { deadlineMs }: RelayCallOptions,
    idempotent = method !== 'POST',
  ): Promise<HttpAnswer> {
    const request = { method, path, body, device, idempotent };
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

  private apiRequest(token: AccessToken, { method, path, body, device, idempotent }: ApiRequest): HttpRequest {
    const query = new URLSearchParams({ subscriber_id: this.subscriberId ?? '' });
    const userId = token.userId ?? device;
    if (userId !== undefined) query.set('user_id', userId);
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token.accessToken}`,
      Accept: 'application/json',
      'User-Agent': this.userAgent,
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return { method, url: `${this.apiUrl}${path}?${query.toString()}`, headers, body, idempotent };
  }

  /** sendWithRetries, with no answer at all made the call's RelayApiError. */
  private async sendToApi(call: RelayApiCall, request: HttpRequest, signal?: AbortSignal): Promise<HttpAnswer> {
    const answer = await sendWithRetries(call, request, this.transport, signal);
    if (!isNoAnswer(answer)) return answer;
    const advice =
      answer.kind === 'too-large'
        ? 'check RELAY_API_URL'
        : answer.kind === 'timeout' && !request.idempotent
          ? `check RELAY_API_URL, RELAY_ENV and the network; it was not retried, as Relay may have ${call === 'saveWorkflow' ? 'created the registration' : 'started the workflow'} already`
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
        message: `${call} needs Relay API credentials, and ${missing} is not set: set RELAY_API_KEY (a refresh token from "relay token:generate") and RELAY_SUBSCRIBER_ID`,
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

/** A workflow id fit for a URL path and a line of output. */
const PRINTABLE_ID = new RegExp(`^[\\x21-\\x7e]{1,${RELAY_LIMITS.maxIdChars}}$`);

/** Deepest nesting kept in a copied row; a deeper row is left out. */
const MAX_ROW_DEPTH = 16;

/**
 * A row Relay sent, checked and copied: a JSON object with a `workflow_id` of 1 to
 * `maxIdChars` printable characters, its `config` parsed when it is a JSON string (as Relay may send it),
 * every object copied without a prototype. Undefined for anything else.
 */
function workflowRowOf(value: unknown): WorkflowRow | undefined {
  if (!isRecord(value)) return undefined;
  const config = Object.hasOwn(value, 'config') ? value.config : undefined;
  const withConfig =
    typeof config === 'string' && config.length <= RELAY_LIMITS.maxWorkflowBytes
      ? { ...value, config: parseJson(config) ?? null }
      : value;
  const row = copyJson(withConfig, MAX_ROW_DEPTH);
  if (!isRecord(row) || !Object.hasOwn(row, 'workflow_id')) return undefined;
  const id = row.workflow_id;
  if (typeof id !== 'string' || !PRINTABLE_ID.test(id)) return undefined;
  return row as WorkflowRow;
}

/** A deep copy of a parsed JSON value with prototype-free objects; undefined when nested deeper than `depth`. */
function copyJson(value: unknown, depth: number): JsonValue | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (depth === 0) return undefined;
  if (Array.isArray(value)) {
    const items = value.map((item) => copyJson(item, depth - 1));
    return items.includes(undefined) ? undefined : (items as JsonValue[]);
  }
  if (!isRecord(value)) return null;
  const copy = Object.create(null) as { [key: string]: JsonValue };
  for (const [key, item] of Object.entries(value)) {
    const copied = copyJson(item, depth - 1);
    if (copied === undefined) return undefined;
    copy[key] = copied;
  }
  return copy;
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
      argumentError(call, `targets must be a device id or an array of at most ${maxTargets} device ids`);
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
