import { randomBytes } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RELAY_ENVIRONMENTS, RELAY_LIMITS } from '../api/relay-api';
import { bearerOf, readBody, sendJson } from './cloud-http';
import { CloudFaults, type DelaySpec, type FailureSpec } from './cloud-faults';
import { CloudTokens } from './cloud-tokens';
import { deviceRecord } from './device-record';
import { parseTriggerBody } from './parse-trigger-body';
import type {
  CloudEndpoint,
  CloudRegistration,
  CloudRequest,
  CloudSession,
  RelayCloudOptions,
} from './relay-cloud-options';
import { RelaySimulator } from './relay-simulator';
import { SimulatorError, SimulatorErrorCode } from './sim-error';
import { DEFAULT_DEVICE, type SimulatedDevice } from './simulated-device';
import { WaitingQueue } from './waiting-queue';

const TRIGGER_PATH = /^\/ibot\/workflow\/([^/]{1,768})$/;
const DEVICE_PATH = /^\/relaypro\/api\/v1\/device\/([^/]{1,768})$/;
const MAX_ID_CHARS = RELAY_LIMITS.maxIdChars;

/** A request on its way through the cloud: what the answer is recorded under. */
interface Exchange {
  request: IncomingMessage;
  response: ServerResponse;
  endpoint: CloudEndpoint;
  path: string;
  query: URLSearchParams;
}

/**
 * Plays Relay's cloud over HTTP on a local port: the token service (`/oauth2/token`,
 * `/oauth2/validate`), HTTP triggers (`POST /ibot/workflow/:id`) and device records
 * (`GET /relaypro/api/v1/device/:id`). A trigger of a registered workflow opens a WebSocket session
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
 * const api = new RelayApi({ ...cloud.clientOptions, log })
 * await api.triggerWorkflow('wf_hello', undefined, { room: '12' })
 * const session = await cloud.nextSession()
 * const run = await session.finished // run.says, run.transcript...
 * await cloud.close()
 */
export class RelayCloud {
  readonly apiKey: string;
  readonly subscriberId: string;
  readonly userId: string;
  readonly clientId: string;
  /** Every session opened, in order. */
  readonly sessions: CloudSession[] = [];
  /** Every request answered, in order. */
  readonly requests: CloudRequest[] = [];
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

  private constructor(options: RelayCloudOptions) {
    this.options = options;
    this.apiKey = options.apiKey ?? `sim-refresh-${randomBytes(18).toString('base64url')}`;
    this.subscriberId = options.subscriberId ?? 'sim-subscriber';
    this.userId = options.userId ?? 'sim-user';
    this.clientId = options.clientId ?? RELAY_ENVIRONMENTS.pro.clientId;
    this.tokens = new CloudTokens({ apiKey: this.apiKey, clientId: this.clientId }, options.tokenLifetimeSecs ?? 3600);
    this.maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
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

  /** The variables that point this app's RelayApi at the cloud (what `npm run sim -- cloud` prints). */
  get env(): Record<'RELAY_API_URL' | 'RELAY_AUTH_URL' | 'RELAY_API_KEY' | 'RELAY_SUBSCRIBER_ID', string> {
    return {
      RELAY_API_URL: this.url,
      RELAY_AUTH_URL: this.url,
      RELAY_API_KEY: this.apiKey,
      RELAY_SUBSCRIBER_ID: this.subscriberId,
    };
  }

  /** The RelayApi options that talk to this cloud. */
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
    const exchange: Exchange = {
      request,
      response,
      endpoint: endpointOf(request.method, path),
      path,
      query: url?.searchParams ?? new URLSearchParams(),
    };
    this.counts.set(exchange.endpoint, (this.counts.get(exchange.endpoint) ?? 0) + 1);
    this.route(exchange).catch((error: unknown) => {
      this.reply(exchange, 500, { message: `the simulated cloud failed: ${String(error).slice(0, 300)}` });
    });
  }

  private async route(exchange: Exchange): Promise<void> {
    const delayMs = this.faults.takeDelay(exchange.path);
    if (delayMs > 0 && !(await this.wait(delayMs, exchange.response))) return;
    const failure = this.faults.takeFailure(exchange.path);
    if (failure !== undefined) {
      const headers: Record<string, string> =
        failure.retryAfterSecs === undefined ? {} : { 'Retry-After': String(failure.retryAfterSecs) };
      return this.reply(
        exchange,
        failure.status,
        { message: failure.message ?? STATUS_CODES[failure.status] ?? 'error' },
        headers,
      );
    }
    switch (exchange.endpoint) {
      case 'token':
        return this.grantToken(exchange);
      case 'validate':
        return this.validateToken(exchange);
      case 'trigger':
        return this.trigger(exchange);
      case 'device':
        return this.device(exchange);
      default:
        return this.reply(exchange, 404, {
          message: `no such endpoint: ${String(exchange.request.method)} ${exchange.path.slice(0, 200)}`,
        });
    }
  }

  /** `POST /oauth2/token` with the refresh-token grant. */
  private async grantToken(exchange: Exchange): Promise<void> {
    const text = await readBody(exchange.request, this.maxBodyBytes);
    if (text === undefined)
      return this.reply(exchange, 413, { error: 'invalid_request', error_description: 'the body is too large' });
    if (!/^application\/x-www-form-urlencoded\b/i.test(exchange.request.headers['content-type'] ?? '')) {
      return this.reply(exchange, 400, {
        error: 'invalid_request',
        error_description: 'the body must be application/x-www-form-urlencoded',
      });
    }
    const { status, body } = this.tokens.grant(new URLSearchParams(text));
    this.reply(exchange, status, body);
  }

  /** `GET /oauth2/validate`: the user id of a bearer token. */
  private validateToken(exchange: Exchange): void {
    if (!this.tokens.isValid(bearerOf(exchange.request)))
      return this.reply(exchange, 401, {
        error: 'invalid_token',
        error_description: 'the access token is missing, invalid or expired',
      });
    this.reply(exchange, 200, { userid: this.userId, client_id: this.clientId });
  }

  /** `POST /ibot/workflow/:id`: checks everything, then opens one session per target device. */
  private async trigger(exchange: Exchange): Promise<void> {
    if (!this.mayCallApi(exchange)) return;
    const workflowId = decodeSegment(TRIGGER_PATH.exec(exchange.path)?.[1]);
    if (workflowId === undefined)
      return this.reply(exchange, 400, { message: 'the workflow id in the path is not valid' });
    if (!/^application\/json\b/i.test(exchange.request.headers['content-type'] ?? ''))
      return this.reply(exchange, 400, { message: 'Content-Type must be application/json' });
    const text = await readBody(exchange.request, this.maxBodyBytes);
    if (text === undefined)
      return this.reply(exchange, 413, { message: `the body is larger than ${this.maxBodyBytes} bytes` });
    const body = parseTriggerBody(text);
    if (typeof body === 'string') return this.reply(exchange, 400, { message: body });
    const workflow = this.workflows.get(workflowId);
    if (workflow === undefined)
      return this.reply(exchange, 404, { message: `no workflow ${workflowId.slice(0, 100)} on this account` });
    const targets = body.targetDeviceIds ?? workflow.registration.devices ?? [this.defaultDeviceId];
    const unknown = targets.find((id) => !this.devices.has(id));
    if (unknown !== undefined)
      return this.reply(exchange, 404, { message: `no device ${unknown.slice(0, 100)} on this account` });
    const actionArgs = { ...body.actionArgs };
    const opened = await Promise.allSettled(
      targets.map((deviceId) => this.openSession(workflowId, deviceId, actionArgs)),
    );
    const failed = opened.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      return this.reply(exchange, 502, {
        message: `could not open a session to ${workflow.url}: ${String((failed.reason as Error).message ?? failed.reason).slice(0, 300)}`,
      });
    }
    this.reply(exchange, 200, { status: 'ok', workflow_id: workflowId, target_device_ids: targets });
  }

  /** `GET /relaypro/api/v1/device/:id`. */
  private device(exchange: Exchange): void {
    if (!this.mayCallApi(exchange)) return;
    const deviceId = decodeSegment(DEVICE_PATH.exec(exchange.path)?.[1]);
    const device = deviceId === undefined ? undefined : this.devices.get(deviceId);
    if (device === undefined)
      return this.reply(exchange, 404, { message: `no device ${String(deviceId).slice(0, 100)} on this account` });
    this.reply(exchange, 200, deviceRecord(device, Date.now()));
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

  /** The bearer token and the account in the query; answers 401/403 itself when they are wrong. */
  private mayCallApi(exchange: Exchange): boolean {
    if (!this.tokens.isValid(bearerOf(exchange.request))) {
      this.reply(exchange, 401, { message: 'the access token is missing, invalid or expired' });
      return false;
    }
    if (exchange.query.get('subscriber_id') !== this.subscriberId || exchange.query.get('user_id') !== this.userId) {
      this.reply(exchange, 403, { message: "subscriber_id and user_id must name the access token's account" });
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

  private reply(exchange: Exchange, status: number, body: unknown, headers?: Record<string, string>): void {
    const { request, response, endpoint, path } = exchange;
    const method = String(request.method);
    const userAgent = request.headers['user-agent']?.slice(0, 200);
    this.requests.push({ endpoint, method, path: path.slice(0, 300), status, userAgent });
    this.options.onLog?.(`${method} ${path.slice(0, 120)} -> ${status}`);
    sendJson(response, status, body, headers);
  }
}

function endpointOf(method: string | undefined, path: string): CloudEndpoint {
  if (method === 'POST' && path === '/oauth2/token') return 'token';
  if (method === 'GET' && path === '/oauth2/validate') return 'validate';
  if (method === 'POST' && TRIGGER_PATH.test(path)) return 'trigger';
  if (method === 'GET' && DEVICE_PATH.test(path)) return 'device';
  return 'other';
}

/** A percent-decoded path segment of 1 to 256 characters, or undefined. */
function decodeSegment(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  try {
    const decoded = decodeURIComponent(segment);
    return decoded === '' || decoded.length > MAX_ID_CHARS ? undefined : decoded;
  } catch {
    return undefined;
  }
}
