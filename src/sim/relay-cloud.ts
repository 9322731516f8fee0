import { randomBytes } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RELAY_ENVIRONMENTS, RELAY_LIMITS } from '../api/relay-api';
import {
  bearerOf,
  CloudFaults,
  CloudTokens,
  CloudWorkflows,
  deviceRecord,
  parseTriggerBody,
  readRequestBody,
  sendJson,
  type DelaySpec,
  type FailureSpec,
} from './cloud-http';
import { DEFAULT_DEVICE, type SimulatedDevice } from './device';
import { RelaySimulator, type RelaySimulatorOptions, type SimulationResult } from './relay-simulator';
import { SimulatorError, SimulatorErrorCode } from './wire';

/** How each session the cloud opens plays its device (answers, gaps, timers...); trigger, device and vars come from the cloud. */
export type CloudSimulatorOptions = Omit<RelaySimulatorOptions, 'trigger' | 'device' | 'vars'>;

/** Options of {@link RelayCloud.start}; every one has a default. */
export interface RelayCloudOptions {
  /** Port to listen on; default 0 (a free one). */
  port?: number;
  /** Interface; default 127.0.0.1. */
  host?: string;
  /** The refresh token the token service accepts (RELAY_API_KEY). Default: a random one. */
  apiKey?: string;
  /** The account (RELAY_SUBSCRIBER_ID). Default `sim-subscriber`. */
  subscriberId?: string;
  /** The user id `/oauth2/validate` answers. Default `sim-user`. */
  userId?: string;
  /** The OAuth client id the legacy token service expects. Default: pro's, what RELAY_ENV=pro sends. */
  clientId?: string;
  /** The SDK client id the OpenID Connect token endpoint expects, and its refresh tokens name. Default: pro's (RJZKRhh9). */
  oidcClientId?: string;
  /**
   * Keycloak's realm setting "Revoke Refresh Token": each OpenID Connect refresh token is good for
   * one grant (the rotated one must be used next). Default false, Keycloak's default: the previous
   * refresh token stays good after a grant.
   */
  revokeRefreshTokens?: boolean;
  /** `expires_in` of each access token. Default 3600. */
  tokenLifetimeSecs?: number;
  /** The account's devices; the first is the default target. Default: one device, the simulator's default. */
  devices?: ReadonlyArray<Partial<SimulatedDevice>>;
  /** Applied to every session the cloud opens. */
  simulator?: CloudSimulatorOptions;
  /** Largest request body accepted; default 64 KiB (larger gets 413). */
  maxBodyBytes?: number;
  /** Called with a line for each request answered (the CLI prints them). Never holds a token. */
  onLog?: (line: string) => void;
  /** Answer each registration row's `config` as a JSON string, as Relay may. Default false. */
  workflowConfigAsString?: boolean;
  /** Most registrations the account keeps. Default `RELAY_LIMITS.maxWorkflows`. */
  maxWorkflows?: number;
}

/** A workflow registered with an HTTP trigger (`relay workflow:create:http`). */
export interface CloudRegistration {
  /** Registration args, served to `get_var` (not part of the start event). */
  args?: Readonly<Record<string, string>>;
  /** Device ids it is installed on (`-i`), used when a trigger names no targets. Default: the cloud's default device. */
  devices?: readonly string[];
  /** Applied to this workflow's sessions, over the cloud's `simulator` options. */
  simulator?: CloudSimulatorOptions;
}

/** A session the cloud opened for an HTTP trigger: one per target device. */
export interface CloudSession {
  workflowId: string;
  deviceId: string;
  /** The trigger's `action_args` (sent as the start event's `trigger.args.args`). */
  actionArgs: Readonly<Record<string, string>>;
  /** The live simulator playing Relay and the device on this session. */
  simulator: RelaySimulator;
  /** Resolves with everything recorded once the session has closed. */
  finished: Promise<SimulationResult>;
}

/** The cloud's endpoints, as counted in {@link RelayCloud.calls}. */
export type CloudEndpoint =
  'token' | 'validate' | 'trigger' | 'device' | 'listWorkflows' | 'saveWorkflow' | 'deleteWorkflow' | 'other';

/** One request the cloud answered (no header values, no body). */
export interface CloudRequest {
  endpoint: CloudEndpoint;
  method: string;
  /** The path without the query string. */
  path: string;
  status: number;
  userAgent: string | undefined;
  /** The `user_id` query parameter, if any (truncated). */
  userId: string | undefined;
}

const TRIGGER_PATH = /^\/ibot\/workflow\/([^/]{1,768})$/;
const WORKFLOWS_PATH = '/ibot/workflow';
const DEVICE_PATH = /^\/relaypro\/api\/v1\/device\/([^/]{1,768})$/;
/** The realm, as Relay's issuer names it (`https://auth.relaypro.com/realms/Relay`). */
const REALM_PATH = '/realms/Relay';
const OIDC_TOKEN_PATH = `${REALM_PATH}/protocol/openid-connect/token`;
const MAX_ID_CHARS = RELAY_LIMITS.maxIdChars;

/** One HTTP request to the cloud with its response: what the answer is recorded under. */
interface CloudCall {
  request: IncomingMessage;
  response: ServerResponse;
  endpoint: CloudEndpoint;
  path: string;
  query: URLSearchParams;
}

/**
 * Plays Relay's cloud over HTTP on a local port: both sign-ins (the OpenID Connect token endpoint
 * `/realms/Relay/protocol/openid-connect/token`, and the legacy `/oauth2/token` and
 * `/oauth2/validate`), HTTP triggers (`POST /ibot/workflow/:id`), device records
 * (`GET /relaypro/api/v1/device/:id`) and the account's workflow registrations (`GET` and `POST
 * /ibot/workflow`, `DELETE /ibot/workflow/:id`, kept in memory: {@link RelayCloud.registrations}). A trigger of a registered workflow opens a WebSocket session
 * to its URL exactly as the Relay server does, played by {@link RelaySimulator} (one session per
 * target device), and answers 200 once every session is open and has its start event, so
 * `cloud.sessions` holds them when the caller's trigger resolves. A session that cannot be opened
 * makes the trigger answer 502, naming the URL. (Whether real Relay answers before or after it
 * connects is not documented; the answer's body here is the simulator's own.)
 *
 * For tests of API clients it fails, slows down and revokes on demand, and counts every call.
 *
 * @example
 * const cloud = await RelayCloud.start()
 * cloud.register('wf_hello', `ws://127.0.0.1:${port}/hello`, { args: { greeting: 'Hi' } })
 * const api = new RelayApi({ ...cloud.clientOptions, logger }) // or cloud.oidcClientOptions
 * await api.triggerWorkflow('wf_hello', undefined, { room: '12' })
 * const session = await cloud.nextSession()
 * const run = await session.finished // run.says, run.transcript...
 * await cloud.close()
 */
export class RelayCloud {
  readonly apiKey: string;
  readonly subscriberId: string;
  readonly userId: string;
  /** The legacy token service's client id. */
  readonly clientId: string;
  /** The OpenID Connect SDK client id. */
  readonly oidcClientId: string;
  /** Every session opened, in order. */
  readonly sessions: CloudSession[] = [];
  /** Every request answered, in order. */
  readonly requests: CloudRequest[] = [];
  /** The account's workflow registrations, as `GET /ibot/workflow` lists them. */
  readonly registrations: CloudWorkflows;
  private readonly server: Server;
  private readonly options: RelayCloudOptions;
  private readonly maxBodyBytes: number;
  private readonly counts = new Map<CloudEndpoint, number>();
  private readonly workflows = new Map<string, { url: string; registration: CloudRegistration }>();
  private readonly devices = new Map<string, SimulatedDevice>();
  private readonly defaultDeviceId: string;
  private readonly tokens: CloudTokens;
  private readonly faults = new CloudFaults();
  private readonly delays = new Set<() => void>();
  private readonly opening = new Set<Promise<unknown>>();
  private readonly opened = new WaitingQueue<CloudSession>();
  private closing: Promise<void> | undefined;
  private boundUrl: string | undefined;
  private firstOidcRefreshToken: string | undefined;

  private constructor(options: RelayCloudOptions) {
    this.options = options;
    this.apiKey = options.apiKey ?? `sim-refresh-${randomBytes(18).toString('base64url')}`;
    this.subscriberId = options.subscriberId ?? 'sim-subscriber';
    this.userId = options.userId ?? 'sim-user';
    this.clientId = options.clientId ?? RELAY_ENVIRONMENTS.pro.legacyClientId;
    this.oidcClientId = options.oidcClientId ?? RELAY_ENVIRONMENTS.pro.clientId;
    this.tokens = new CloudTokens({
      apiKey: this.apiKey,
      clientId: this.clientId,
      issuer: () => this.issuer,
      oidcClientId: this.oidcClientId,
      revokeRefreshTokens: options.revokeRefreshTokens ?? false,
      lifetimeSecs: options.tokenLifetimeSecs ?? 3600,
    });
    this.maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
    this.registrations = new CloudWorkflows({
      configAsString: options.workflowConfigAsString,
      maxRows: options.maxWorkflows,
    });
    for (const device of options.devices ?? [DEFAULT_DEVICE]) {
      const full = { ...DEFAULT_DEVICE, ...device };
      this.devices.set(full.id, full);
    }
    this.defaultDeviceId = this.devices.keys().next().value ?? DEFAULT_DEVICE.id;
    this.server = createServer({ headersTimeout: 10_000, requestTimeout: 30_000 }, (request, response) =>
      this.handle(request, response),
    );
  }

  /** Starts a cloud listening on `options.port` (default: a free port on 127.0.0.1). */
  static async start(options: RelayCloudOptions = {}): Promise<RelayCloud> {
    const cloud = new RelayCloud(options);
    await new Promise<void>((resolve, reject) => {
      cloud.server.once('error', reject);
      cloud.server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        cloud.server.off('error', reject);
        const { address, port, family } = cloud.server.address() as AddressInfo;
        cloud.boundUrl = `http://${family === 'IPv6' ? `[${address}]` : address}:${port}`;
        cloud.firstOidcRefreshToken = cloud.tokens.issueRefreshToken();
        resolve();
      });
    });
    return cloud;
  }

  /** The base URL of both the API and the token service, e.g. `http://127.0.0.1:40123` (still known after close). */
  get url(): string {
    if (this.boundUrl === undefined)
      throw new SimulatorError(SimulatorErrorCode.INVALID_STATE, 'the cloud is not listening: use RelayCloud.start()');
    return this.boundUrl;
  }

  /** The OpenID Connect issuer its JWT refresh tokens name: `<url>/realms/Relay`. */
  get issuer(): string {
    return `${this.url}${REALM_PATH}`;
  }

  /**
   * A refresh token of the current sign-in, as `relay token:generate` prints one: a JWT naming
   * {@link issuer} and {@link oidcClientId}. A RelayApi redeems it at
   * `<authUrl>/realms/Relay/protocol/openid-connect/token` when `authUrl` is the cloud's URL.
   */
  get oidcRefreshToken(): string {
    if (this.firstOidcRefreshToken === undefined)
      throw new SimulatorError(SimulatorErrorCode.INVALID_STATE, 'the cloud is not listening: use RelayCloud.start()');
    return this.firstOidcRefreshToken;
  }

  /** Another JWT refresh token; `azp: null` names no client, another `azp` another client. */
  issueRefreshToken(claims: { azp?: string | null } = {}): string {
    return this.tokens.issueRefreshToken(claims);
  }

  /** The variables that point this app's RelayApi at the cloud (what `npm run sim -- cloud` prints). */
  get env(): Record<'RELAY_API_URL' | 'RELAY_AUTH_URL' | 'RELAY_API_KEY' | 'RELAY_SUBSCRIBER_ID', string> {
    return {
      RELAY_API_URL: this.url,
      RELAY_AUTH_URL: this.url,
      RELAY_API_KEY: this.apiKey,
      RELAY_SUBSCRIBER_ID: this.subscriberId,
    };
  }

  /** The RelayApi options that talk to this cloud with the current sign-in ({@link oidcRefreshToken}). */
  get oidcClientOptions(): { apiKey: string; subscriberId: string; apiUrl: string; authUrl: string } {
    return { apiKey: this.oidcRefreshToken, subscriberId: this.subscriberId, apiUrl: this.url, authUrl: this.url };
  }

  /** The RelayApi options that talk to this cloud with the legacy sign-in ({@link apiKey}). */
  get clientOptions(): { apiKey: string; subscriberId: string; apiUrl: string; authUrl: string; clientId: string } {
    return {
      apiKey: this.apiKey,
      subscriberId: this.subscriberId,
      apiUrl: this.url,
      authUrl: this.url,
      clientId: this.clientId,
    };
  }

  /** Requests received so far, by endpoint (every attempt counts, failed or not). */
  get calls(): Readonly<Record<CloudEndpoint, number>> {
    const count = (endpoint: CloudEndpoint) => this.counts.get(endpoint) ?? 0;
    return {
      token: count('token'),
      validate: count('validate'),
      trigger: count('trigger'),
      device: count('device'),
      listWorkflows: count('listWorkflows'),
      saveWorkflow: count('saveWorkflow'),
      deleteWorkflow: count('deleteWorkflow'),
      other: count('other'),
    };
  }

  /**
   * Registers a workflow with an HTTP trigger, as `relay workflow:create:http` does: a trigger of
   * `workflowId` opens a session to `url` (`ws://` or `wss://`). Registering an id again replaces it.
   */
  register(workflowId: string, url: string, registration: CloudRegistration = {}): this {
    if (workflowId === '' || workflowId.length > MAX_ID_CHARS)
      throw new SimulatorError(
        SimulatorErrorCode.INVALID_STATE,
        `a workflow id must have 1 to ${MAX_ID_CHARS} characters`,
      );
    const protocol = URL.parse(url)?.protocol;
    if (protocol !== 'ws:' && protocol !== 'wss:')
      throw new SimulatorError(
        SimulatorErrorCode.INVALID_STATE,
        `register ${workflowId} with a ws:// or wss:// URL, got ${JSON.stringify(url.slice(0, 200))}`,
      );
    this.workflows.set(workflowId, { url, registration });
    return this;
  }

  /** The next session not yet handed out by an earlier call (opened already or later); rejects after `timeoutMs`. */
  nextSession(timeoutMs = 10_000): Promise<CloudSession> {
    return this.opened.next(
      timeoutMs,
      () =>
        `no session opened within ${timeoutMs} ms (was the workflow triggered? calls so far: ${JSON.stringify(this.calls)})`,
    );
  }

  /** The next matching request(s) get `spec.status` instead of an answer. */
  failNext(spec: FailureSpec): this {
    this.faults.addFailure(spec);
    return this;
  }

  /** The next matching request(s) wait `ms` before being handled (to test timeouts). */
  delayNext(ms: number, spec?: DelaySpec): this {
    this.faults.addDelay(ms, spec);
    return this;
  }

  /** Revokes every access token issued so far: the next API call with one gets 401. */
  expireTokens(): void {
    this.tokens.revokeAll();
  }

  /** Stops listening, drops every connection, and closes every session it opened. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.faults.clear();
      const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
      this.server.closeAllConnections();
      for (const release of [...this.delays]) release();
      this.opened.rejectWaiting(
        new SimulatorError(SimulatorErrorCode.INVALID_STATE, 'the cloud closed before a session opened'),
      );
      await Promise.allSettled([...this.opening]);
      await Promise.all(this.sessions.map((session) => session.simulator.close()));
      await stopped;
    })();
    return this.closing;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = URL.parse(request.url ?? '/', 'http://cloud.invalid');
    const path = url?.pathname ?? '/';
    const call: CloudCall = {
      request,
      response,
      endpoint: endpointOf(request.method, path),
      path,
      query: url?.searchParams ?? new URLSearchParams(),
    };
    this.counts.set(call.endpoint, (this.counts.get(call.endpoint) ?? 0) + 1);
    this.route(call).catch((error: unknown) => {
      this.reply(call, 500, { message: `the simulated cloud failed: ${String(error).slice(0, 300)}` });
    });
  }

  private async route(call: CloudCall): Promise<void> {
    const delayMs = this.faults.takeDelay(call.path);
    if (delayMs > 0 && !(await this.wait(delayMs, call.response))) return;
    const failure = this.faults.takeFailure(call.path);
    if (failure !== undefined) {
      const headers: Record<string, string> =
        failure.retryAfterSecs === undefined ? {} : { 'Retry-After': String(failure.retryAfterSecs) };
      return this.reply(
        call,
        failure.status,
        { message: failure.message ?? STATUS_CODES[failure.status] ?? 'error' },
        headers,
      );
    }
    switch (call.endpoint) {
      case 'token':
        return this.grantToken(call, call.path === OIDC_TOKEN_PATH ? 'oidc' : 'legacy');
      case 'validate':
        return this.validateToken(call);
      case 'trigger':
        return this.trigger(call);
      case 'device':
        return this.device(call);
      case 'listWorkflows':
      case 'saveWorkflow':
      case 'deleteWorkflow':
        return this.workflowRows(call);
      default:
        return this.reply(call, 404, {
          message: `no such endpoint: ${String(call.request.method)} ${call.path.slice(0, 200)}`,
        });
    }
  }

  /** `POST /oauth2/token` or the OpenID Connect token endpoint, with the refresh-token grant. */
  private async grantToken(call: CloudCall, signIn: 'legacy' | 'oidc'): Promise<void> {
    const text = await readRequestBody(call.request, this.maxBodyBytes);
    if (text === undefined)
      return this.reply(call, 413, { error: 'invalid_request', error_description: 'the body is too large' });
    if (!/^application\/x-www-form-urlencoded\b/i.test(call.request.headers['content-type'] ?? '')) {
      return this.reply(call, 400, {
        error: 'invalid_request',
        error_description: 'the body must be application/x-www-form-urlencoded',
      });
    }
    const form = new URLSearchParams(text);
    const { status, body } = signIn === 'oidc' ? this.tokens.oidcGrant(form) : this.tokens.grant(form);
    this.reply(call, status, body);
  }

  /** `GET /oauth2/validate`: the user id of a bearer token. */
  private validateToken(call: CloudCall): void {
    if (!this.tokens.isValid(bearerOf(call.request)))
      return this.reply(call, 401, {
        error: 'invalid_token',
        error_description: 'the access token is missing, invalid or expired',
      });
    this.reply(call, 200, { userid: this.userId, client_id: this.clientId });
  }

  /** `POST /ibot/workflow/:id`: checks everything, then opens one session per target device. */
  private async trigger(call: CloudCall): Promise<void> {
    if (!this.mayCallApi(call)) return;
    const workflowId = decodeSegment(TRIGGER_PATH.exec(call.path)?.[1]);
    if (workflowId === undefined) return this.reply(call, 400, { message: 'the workflow id in the path is not valid' });
    if (!/^application\/json\b/i.test(call.request.headers['content-type'] ?? ''))
      return this.reply(call, 400, { message: 'Content-Type must be application/json' });
    const text = await readRequestBody(call.request, this.maxBodyBytes);
    if (text === undefined)
      return this.reply(call, 413, { message: `the body is larger than ${this.maxBodyBytes} bytes` });
    const body = parseTriggerBody(text);
    if (typeof body === 'string') return this.reply(call, 400, { message: body });
    const workflow = this.workflows.get(workflowId);
    if (workflow === undefined)
      return this.reply(call, 404, { message: `no workflow ${workflowId.slice(0, 100)} on this account` });
    const targets = body.targetDeviceIds ?? workflow.registration.devices ?? [this.defaultDeviceId];
    const unknown = targets.find((id) => !this.devices.has(id));
    if (unknown !== undefined)
      return this.reply(call, 404, { message: `no device ${unknown.slice(0, 100)} on this account` });
    const actionArgs = { ...body.actionArgs };
    const opened = await Promise.allSettled(
      targets.map((deviceId) => this.openSession(workflowId, deviceId, actionArgs)),
    );
    const failed = opened.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      return this.reply(call, 502, {
        message: `could not open a session to ${workflow.url}: ${String((failed.reason as Error).message ?? failed.reason).slice(0, 300)}`,
      });
    }
    this.reply(call, 200, { status: 'ok', workflow_id: workflowId, target_device_ids: targets });
  }

  /** `GET /relaypro/api/v1/device/:id`. */
  private device(call: CloudCall): void {
    if (!this.mayCallApi(call)) return;
    const deviceId = decodeSegment(DEVICE_PATH.exec(call.path)?.[1]);
    const device = deviceId === undefined ? undefined : this.devices.get(deviceId);
    if (device === undefined)
      return this.reply(call, 404, { message: `no device ${String(deviceId).slice(0, 100)} on this account` });
    this.reply(call, 200, deviceRecord(device, Date.now()));
  }

  /** `GET /ibot/workflow`, `POST /ibot/workflow` and `DELETE /ibot/workflow/:id`: the account's registrations. */
  private async workflowRows(call: CloudCall): Promise<void> {
    if (!this.mayCallApi(call, false)) return;
    if (call.endpoint === 'listWorkflows') return this.answer(call, this.registrations.list());
    if (call.endpoint === 'deleteWorkflow') {
      const workflowId = decodeSegment(TRIGGER_PATH.exec(call.path)?.[1]);
      if (workflowId === undefined)
        return this.reply(call, 400, { message: 'the workflow id in the path is not valid' });
      return this.answer(call, this.registrations.delete(workflowId));
    }
    if (!/^application\/json\b/i.test(call.request.headers['content-type'] ?? ''))
      return this.reply(call, 400, { message: 'Content-Type must be application/json' });
    const text = await readRequestBody(call.request, this.maxBodyBytes);
    if (text === undefined)
      return this.reply(call, 413, { message: `the body is larger than ${this.maxBodyBytes} bytes` });
    this.answer(call, this.registrations.save(text));
  }

  /** Opens a session for a trigger on one device, as the Relay server does, and records it. */
  private async openSession(workflowId: string, deviceId: string, actionArgs: Record<string, string>): Promise<void> {
    const workflow = this.workflows.get(workflowId);
    if (workflow === undefined) throw new Error(`workflow ${workflowId} was unregistered`);
    const connecting = RelaySimulator.connect(workflow.url, {
      ...this.options.simulator,
      ...workflow.registration.simulator,
      trigger: { type: 'http', args: actionArgs },
      device: this.devices.get(deviceId),
      vars: workflow.registration.args,
    });
    this.opening.add(connecting);
    const simulator = await connecting.finally(() => this.opening.delete(connecting));
    const session: CloudSession = {
      workflowId,
      deviceId,
      actionArgs,
      simulator,
      finished: simulator.finished.then(() => simulator.result()),
    };
    this.sessions.push(session);
    if (this.closing !== undefined) await simulator.close();
    this.opened.push(session);
  }

  /**
   * The bearer token and the account in the query; answers 401/403 itself when they are wrong. A
   * legacy token's `user_id` must be the validated user id; after an OpenID Connect sign-in (no
   * validate), relay CLI 1.x sends a target device id, so it must be one of the account's devices
   * when present (whether Relay wants it on every call is not documented). The workflow-registration
   * endpoints take `subscriber_id` alone, as relay CLI 1.x sends them (`needsUserId` false).
   */
  private mayCallApi(call: CloudCall, needsUserId = true): boolean {
    const signIn = this.tokens.signInOf(bearerOf(call.request));
    if (signIn === undefined) {
      this.reply(call, 401, { message: 'the access token is missing, invalid or expired' });
      return false;
    }
    const userId = call.query.get('user_id');
    const userOk =
      userId === null
        ? signIn !== 'legacy' || !needsUserId
        : signIn === 'legacy'
          ? userId === this.userId
          : this.devices.has(userId);
    if (call.query.get('subscriber_id') !== this.subscriberId || !userOk) {
      const user = signIn === 'legacy' ? "the access token's user" : 'a device of the account';
      this.reply(call, 403, { message: `subscriber_id must name the access token's account, and user_id ${user}` });
      return false;
    }
    return true;
  }

  /** Resolves true after `ms`, or false if the client hung up (or the cloud closed) first. */
  private wait(ms: number, response: ServerResponse): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = (waited: boolean) => {
        clearTimeout(timer);
        response.off('close', hungUp);
        this.delays.delete(hungUp);
        resolve(waited);
      };
      const hungUp = () => finish(false);
      const timer = setTimeout(() => finish(true), ms);
      response.once('close', hungUp);
      this.delays.add(hungUp);
    });
  }

  private answer(call: CloudCall, { status, body }: { status: number; body: unknown }): void {
    this.reply(call, status, body);
  }

  private reply(call: CloudCall, status: number, body: unknown, headers?: Record<string, string>): void {
    const { request, response, endpoint, path } = call;
    const method = String(request.method);
    const userAgent = request.headers['user-agent']?.slice(0, 200);
    const userId = call.query.get('user_id')?.slice(0, 300) ?? undefined;
    this.requests.push({ endpoint, method, path: path.slice(0, 300), status, userAgent, userId });
    this.options.onLog?.(`${method} ${path.slice(0, 120)} -> ${status}`);
    sendJson(response, status, body, headers);
  }
}

function endpointOf(method: string | undefined, path: string): CloudEndpoint {
  if (method === 'POST' && (path === '/oauth2/token' || path === OIDC_TOKEN_PATH)) return 'token';
  if (method === 'GET' && path === '/oauth2/validate') return 'validate';
  if (method === 'POST' && TRIGGER_PATH.test(path)) return 'trigger';
  if (method === 'GET' && DEVICE_PATH.test(path)) return 'device';
  if (method === 'GET' && path === WORKFLOWS_PATH) return 'listWorkflows';
  if (method === 'POST' && path === WORKFLOWS_PATH) return 'saveWorkflow';
  if (method === 'DELETE' && TRIGGER_PATH.test(path)) return 'deleteWorkflow';
  return 'other';
}

/** A percent-decoded path segment of 1 to `RELAY_LIMITS.maxIdChars` characters, or undefined. */
function decodeSegment(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  try {
    const decoded = decodeURIComponent(segment);
    return decoded === '' || decoded.length > MAX_ID_CHARS ? undefined : decoded;
  } catch {
    return undefined;
  }
}

/**
 * Items handed out in order, each once: `next()` takes the oldest item not yet taken, or waits
 * for the next one pushed, up to a timeout.
 */
class WaitingQueue<T> {
  private readonly items: T[] = [];
  private taken = 0;
  private readonly waiters: Array<{ resolve: (item: T) => void; reject: (error: Error) => void }> = [];

  push(item: T): void {
    this.items.push(item);
    const waiter = this.waiters.shift();
    if (waiter === undefined) return;
    this.taken += 1;
    waiter.resolve(item);
  }

  /** The oldest item not yet taken; rejects with `sim-timeout` and `timeoutMessage` after `timeoutMs`. */
  next(timeoutMs: number, timeoutMessage: () => string): Promise<T> {
    const ready = this.items[this.taken];
    if (ready !== undefined) {
      this.taken += 1;
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new SimulatorError(SimulatorErrorCode.TIMEOUT, timeoutMessage()));
      }, timeoutMs);
      const waiter = {
        resolve: (item: T) => {
          clearTimeout(timer);
          resolve(item);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Rejects every waiting `next()` with `error`. */
  rejectWaiting(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}
