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
import { findPhraseRow } from './phrase-trigger';
import { isInstalledOn, readRegisteredRow, type RegisteredWorkflow } from './registered-row';

export type { CloudSession, CloudSimulatorOptions } from './cloud-sessions';
import { CloudSessions, type CloudSession, type CloudSimulatorOptions, type SessionStart } from './cloud-sessions';
import { SimulatorError, SimulatorErrorCode } from './wire';

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
 * /ibot/workflow`, `DELETE /ibot/workflow/:id`, kept in memory: {@link RelayCloud.registrations}).
 * A trigger of a workflow given to {@link register}, or of a row with an HTTP trigger, opens a
 * WebSocket session to its URL exactly as the Relay server does, played by {@link RelaySimulator}
 * (one session per target device), and answers 200 once every session is open and has its start event, so
 * `cloud.sessions` holds them when the caller's trigger resolves. A session that cannot be opened
 * makes the trigger answer 502, naming the URL. (Whether real Relay answers before or after it
 * connects is not documented; the answer's body here is the simulator's own.)
 * A phrase said on one of its devices ({@link speak}) starts the phrase registration installed
 * there, as a person saying it to a Relay device does.
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
  /** The device a trigger naming no targets goes to (`register`'s default), and the CLI speaks on. */
  readonly defaultDeviceId: string;
  private readonly tokens: CloudTokens;
  private readonly faults = new CloudFaults();
  private readonly delays = new Set<() => void>();
  private readonly opener: CloudSessions;
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
    this.opener = new CloudSessions(options.simulator);
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

  /**
   * Says `phrase` on the device `deviceId`, as a person does to start a workflow. The one row of
   * the workflow API (`POST /ibot/workflow`, what `npm run register` writes) that has a phrase
   * trigger, is installed on that device and has a phrase matching `phrase` (rules in
   * phrase-trigger.ts) starts: a session on its URI, whose start event is a phrase trigger's
   * (`trigger: {type: "phrase", args: {phrase: <the registered phrase>, source_uri: <the device's
   * URN>}}`), with the row's args served to `get_var` (not in the start event). Resolves once the
   * session is open and has its start event (it is in {@link sessions} and {@link nextSession}
   * too); `options.simulator` applies to it over the cloud's.
   *
   * Rejects with `sim-not-registered` naming the phrases installed on the device when nothing
   * matches, or naming the rows when more than one does; with `sim-invalid-state` for a device not
   * on the account; as {@link RelaySimulator.connect} does when the URI cannot be reached.
   */
  async speak(
    deviceId: string,
    phrase: string,
    options: { simulator?: CloudSimulatorOptions } = {},
  ): Promise<CloudSession> {
    const device = this.devices.get(deviceId);
    if (device === undefined) {
      const known = [...this.devices.values()].map(({ id, name }) => `${id} (${name})`).join(', ');
      throw new SimulatorError(
        SimulatorErrorCode.INVALID_STATE,
        `no device ${deviceId.slice(0, 100)} on this account; its devices: ${known}`,
      );
    }
    const groups = this.options.simulator?.groups ?? {};
    const match = findPhraseRow(this.registeredRows(), device, groups, phrase);
    const { row } = match;
    return this.opener.open(
      { workflowId: row.workflowId, url: row.uri, args: row.args },
      device,
      { type: 'phrase', phrase: match.phrase },
      options.simulator,
    );
  }

  /** Every session opened, in order. */
  get sessions(): readonly CloudSession[] {
    return this.opener.all;
  }

  /** The next session not yet handed out by an earlier call (opened already or later); rejects after `timeoutMs`. */
  nextSession(timeoutMs = 10_000): Promise<CloudSession> {
    return this.opener.next(
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
      await this.opener.close();
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
    const found = this.httpTarget(workflowId);
    if (typeof found === 'string')
      return this.reply(call, found === 'none' ? 404 : 400, {
        message: found === 'none' ? `no workflow ${workflowId.slice(0, 100)} on this account` : found,
      });
    const targets = body.targetDeviceIds ?? found.devices;
    if (targets.length === 0)
      return this.reply(call, 400, {
        message: `workflow ${workflowId.slice(0, 100)} is installed on no device of this account: name target_device_ids`,
      });
    const devices = targets.flatMap((id) => this.devices.get(id) ?? []);
    const unknown = targets.find((id) => !this.devices.has(id));
    if (unknown !== undefined)
      return this.reply(call, 404, { message: `no device ${unknown.slice(0, 100)} on this account` });
    const actionArgs = { ...body.actionArgs };
    const opened = await Promise.allSettled(
      devices.map((device) => this.opener.open(found.start, device, { type: 'http', args: actionArgs })),
    );
    const failed = opened.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      return this.reply(call, 502, {
        message: `could not open a session to ${found.start.url}: ${String((failed.reason as Error).message ?? failed.reason).slice(0, 300)}`,
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

  /**
   * What an HTTP trigger of `workflowId` starts: a workflow given to {@link register} (on its
   * devices, default the cloud's first), else a row of the workflow API with an `on_http` trigger
   * (on the devices it is installed on). `'none'` when there is neither; a message for a row
   * without an HTTP trigger (what Relay answers then is not documented; the simulated cloud refuses).
   */
  private httpTarget(workflowId: string): { start: SessionStart; devices: readonly string[] } | string {
    const registered = this.workflows.get(workflowId);
    if (registered !== undefined) {
      const { args, devices, simulator } = registered.registration;
      return {
        start: { workflowId, url: registered.url, args, simulator },
        devices: devices ?? [this.defaultDeviceId],
      };
    }
    const row = this.registeredRows().find((candidate) => candidate.workflowId === workflowId);
    if (row === undefined) return 'none';
    if (!row.http)
      return `workflow ${workflowId.slice(0, 100)} has no HTTP trigger (on_http): register it with one to start it over HTTP`;
    return { start: { workflowId, url: row.uri, args: row.args }, devices: this.installedDevices(row) };
  }

  /** The rows of the workflow API that can be started (those with a readable start URI), oldest first. */
  private registeredRows(): RegisteredWorkflow[] {
    return this.registrations.all.flatMap((row) => readRegisteredRow(row) ?? []);
  }

  /** The ids of the account's devices a row is installed on. */
  private installedDevices(row: RegisteredWorkflow): string[] {
    const groups = this.options.simulator?.groups ?? {};
    return [...this.devices.values()]
      .filter((device) => isInstalledOn(row.install, device, groups))
      .map((device) => device.id);
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
