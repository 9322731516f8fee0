import { RELAY_LIMITS } from '../api/relay-api';
import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJson } from '../api/errors';
import { isRecord, secretsMatch } from '../util';
import type { SimulatedDevice } from './device';

/**
 * The pieces {@link RelayCloud} answers HTTP requests with: JSON answers and request bodies, the
 * token service, the failures and delays tests inject, the check of an HTTP trigger's body, and
 * the device record Relay's API returns.
 */

const { maxArgs: MAX_ARGS, maxTargets: MAX_TARGETS, maxIdChars: MAX_ID_CHARS } = RELAY_LIMITS;

/** Sends a JSON answer (with an optional Retry-After), unless the client has gone. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/** The request body as text, or `undefined` once it passed `maxBytes` (the caller answers 413). */
export function readRequestBody(request: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    request.once('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.once('error', reject);
  });
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerOf(request: IncomingMessage): string | undefined {
  const match = /^Bearer ([\x21-\x7e]{1,8192})$/.exec(request.headers.authorization ?? '');
  return match?.[1];
}

/** What the token endpoint answers: a status and its JSON body. */
export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** Which sign-in issued an access token: the API checks `user_id` differently for each. */
export type SignInKind = 'legacy' | 'oidc';

export interface CloudTokensOptions {
  /** The legacy refresh token (opaque) and the client id `/oauth2/token` expects. */
  apiKey: string;
  clientId: string;
  /** The OpenID Connect issuer (`<cloud url>/realms/Relay`), known once the cloud listens. */
  issuer: () => string;
  /** The SDK client id the OpenID Connect endpoint expects. */
  oidcClientId: string;
  /** Keycloak's realm setting "Revoke Refresh Token": a refresh token is then good for one grant. */
  revokeRefreshTokens: boolean;
  lifetimeSecs: number;
}

/**
 * The simulated token service, both sign-ins: the legacy grant of a fixed opaque refresh token,
 * and a Keycloak-like OpenID Connect grant of the JWT refresh tokens it issues (HMAC-signed with a
 * key of its own, `iss` = its issuer, `azp` = the SDK client, `typ` Offline). Each grant issues an
 * access token that expires after `lifetimeSecs`; an OpenID Connect grant also returns a rotated
 * refresh token. As Keycloak does by default, the previous refresh token stays good; with
 * `revokeRefreshTokens` each is good for one grant. Answers use OAuth 2.0's error names
 * (RFC 6749 §5.2) and never repeat a refresh token.
 */
export class CloudTokens {
  /** Access token → when it expires (ms since the epoch) and which sign-in issued it. */
  private readonly issued = new Map<string, { expiresAt: number; signIn: SignInKind }>();
  /** The `jti` of every refresh token already redeemed (checked only with `revokeRefreshTokens`). */
  private readonly redeemed = new Set<string>();
  private readonly signingKey = randomBytes(32);

  constructor(private readonly options: CloudTokensOptions) {}

  /** Answers a form-encoded `POST /oauth2/token` body. */
  grant(form: URLSearchParams): TokenAnswer {
    if (form.get('grant_type') !== 'refresh_token')
      return refusal(400, 'unsupported_grant_type', 'grant_type must be refresh_token');
    if (form.get('client_id') !== this.options.clientId)
      return refusal(401, 'invalid_client', 'unknown client_id: check RELAY_ENV');
    if (!secretsMatch(form.get('refresh_token') ?? '', this.options.apiKey))
      return refusal(400, 'invalid_grant', 'the refresh token is invalid or revoked');
    return { status: 200, body: this.accessTokenAnswer('legacy') };
  }

  /**
   * Answers a form-encoded `POST <issuer path>/protocol/openid-connect/token` body as Keycloak
   * does: the client first (401 invalid_client), then the refresh token's signature, issuer and
   * client (400 invalid_grant).
   */
  oidcGrant(form: URLSearchParams): TokenAnswer {
    if (form.get('grant_type') !== 'refresh_token')
      return refusal(400, 'unsupported_grant_type', 'Unsupported grant_type');
    const clientId = form.get('client_id');
    if (clientId !== this.options.oidcClientId)
      return refusal(401, 'invalid_client', 'Invalid client or Invalid client credentials');
    const claims = this.verify(form.get('refresh_token') ?? '');
    if (claims === undefined || claims.get('iss') !== this.options.issuer())
      return refusal(400, 'invalid_grant', 'Invalid refresh token');
    if (claims.has('azp') && claims.get('azp') !== clientId) return refusal(400, 'invalid_grant', 'Unmatching clients');
    const jti = String(claims.get('jti'));
    if (this.options.revokeRefreshTokens) {
      if (this.redeemed.has(jti)) return refusal(400, 'invalid_grant', 'Maximum allowed refresh token reuse exceeded');
      this.redeemed.add(jti);
    }
    const rotated = this.issueRefreshToken(claims.has('azp') ? { azp: clientId } : { azp: null });
    return {
      status: 200,
      body: { ...this.accessTokenAnswer('oidc'), refresh_token: rotated, scope: 'openid profile offline_access' },
    };
  }

  /**
   * A JWT refresh token as `relay token:generate` prints one: `iss` = the issuer, `azp` = the SDK
   * client id (`azp: null` leaves it out; another value names another client).
   */
  issueRefreshToken({ azp = this.options.oidcClientId }: { azp?: string | null } = {}): string {
    const payload: Record<string, unknown> = {
      iss: this.options.issuer(),
      typ: 'Offline',
      jti: randomBytes(12).toString('base64url'),
      iat: Math.floor(Date.now() / 1000),
      scope: 'openid profile offline_access',
    };
    if (azp !== null) payload.azp = azp;
    const signed = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(payload)}`;
    return `${signed}.${this.sign(signed)}`;
  }

  /** The sign-in that issued `token`, if it is a token this service issued that has neither expired nor been revoked. */
  signInOf(token: string | undefined): SignInKind | undefined {
    const issued = token === undefined ? undefined : this.issued.get(token);
    return issued !== undefined && Date.now() < issued.expiresAt ? issued.signIn : undefined;
  }

  /** True for a token this service issued that has neither expired nor been revoked. */
  isValid(token: string | undefined): boolean {
    return this.signInOf(token) !== undefined;
  }

  /** Revokes every token issued so far. */
  revokeAll(): void {
    this.issued.clear();
  }

  private accessTokenAnswer(signIn: SignInKind): Record<string, unknown> {
    const now = Date.now();
    for (const [token, { expiresAt }] of this.issued) if (expiresAt <= now) this.issued.delete(token);
    const accessToken = `sim-access-${randomBytes(24).toString('base64url')}`;
    const lifetimeSecs = this.options.lifetimeSecs;
    this.issued.set(accessToken, { expiresAt: now + lifetimeSecs * 1000, signIn });
    return { access_token: accessToken, expires_in: lifetimeSecs, token_type: 'Bearer' };
  }

  /** The claims of a JWT this service signed, or undefined. */
  private verify(token: string): Map<string, unknown> | undefined {
    const parts = token.length <= 4096 ? token.split('.') : [];
    if (parts.length !== 3) return undefined;
    const [header, payload, signature] = parts as [string, string, string];
    if (!secretsMatch(signature, this.sign(`${header}.${payload}`))) return undefined;
    const claims = parseJson(Buffer.from(payload, 'base64url').toString('utf8'));
    return isRecord(claims) ? new Map(Object.entries(claims)) : undefined;
  }

  private sign(text: string): string {
    return createHmac('sha256', this.signingKey).update(text).digest('base64url');
  }
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function refusal(status: number, error: string, description: string): TokenAnswer {
  return { status, body: { error, error_description: description } };
}

/** A failure the simulated cloud answers with instead of doing its work. */
export interface FailureSpec {
  /** The HTTP status to answer (401, 429, 502, 503, 504, or any other error status). */
  status: number;
  /** How many matching requests get it. Default 1; `Infinity` for every one. */
  times?: number;
  /** Sent as `Retry-After: <seconds>`. */
  retryAfterSecs?: number;
  /**
   * Which requests: those whose path starts with this (`/oauth2/token`, `/realms/`, `/ibot/workflow`...).
   * Default: every API request (`/ibot/...` and `/relaypro/...`), not the token service.
   */
  path?: string;
  /** The `message` of the JSON body. Default: the status's reason phrase. */
  message?: string;
}

/** Which requests a delay applies to; see {@link FailureSpec} for `path` and `times`. */
export interface DelaySpec {
  times?: number;
  path?: string;
}

interface Rule<T> {
  path: string | undefined;
  left: number;
  value: T;
}

/** Pending failures and delays, each used up by the requests it matches, first added first. */
export class CloudFaults {
  private readonly failures: Array<Rule<FailureSpec>> = [];
  private readonly delays: Array<Rule<number>> = [];

  addFailure(spec: FailureSpec): void {
    this.failures.push({ path: spec.path, left: spec.times ?? 1, value: spec });
  }

  addDelay(ms: number, spec: DelaySpec = {}): void {
    this.delays.push({ path: spec.path, left: spec.times ?? 1, value: ms });
  }

  /** The failure for this request, if one matches (and counts it as used). */
  takeFailure(path: string): FailureSpec | undefined {
    return take(this.failures, path);
  }

  /** The delay for this request in ms, 0 if none matches. */
  takeDelay(path: string): number {
    return take(this.delays, path) ?? 0;
  }

  clear(): void {
    this.failures.length = 0;
    this.delays.length = 0;
  }
}

function take<T>(rules: Array<Rule<T>>, path: string): T | undefined {
  const index = rules.findIndex((rule) =>
    rule.path === undefined ? !path.startsWith('/oauth2/') && !path.startsWith('/realms/') : path.startsWith(rule.path),
  );
  const rule = rules[index];
  if (rule === undefined) return undefined;
  rule.left -= 1;
  if (rule.left <= 0) rules.splice(index, 1);
  return rule.value;
}

/** A valid HTTP trigger body: `{action: "invoke", action_args?, target_device_ids?}`. */
export interface TriggerBody {
  actionArgs: Record<string, string> | undefined;
  targetDeviceIds: string[] | undefined;
}

/**
 * Checks an HTTP trigger body the way the Relay API is documented to take it; returns the problem
 * (for a 400 answer) as a string. `action_args` comes back as a null-prototype object.
 */
export function parseTriggerBody(text: string): TriggerBody | string {
  const body = parseJson(text);
  if (!isRecord(body)) return 'the body must be a JSON object';
  const fields = new Map<string, unknown>(Object.entries(body));
  if (fields.get('action') !== 'invoke') return 'action must be "invoke"';
  const args = fields.get('action_args');
  const targets = fields.get('target_device_ids');
  let actionArgs: Record<string, string> | undefined;
  if (args !== undefined) {
    if (!isRecord(args)) return 'action_args must be an object';
    const entries = Object.entries(args);
    if (entries.length > MAX_ARGS) return `action_args may have at most ${MAX_ARGS} keys`;
    if (!entries.every(([, value]) => typeof value === 'string')) return 'action_args values must be strings';
    actionArgs = Object.assign(Object.create(null) as Record<string, string>, Object.fromEntries(entries));
  }
  if (targets !== undefined) {
    if (!Array.isArray(targets) || targets.length === 0 || targets.length > MAX_TARGETS)
      return `target_device_ids must be an array of 1 to ${MAX_TARGETS} device ids`;
    if (!targets.every((id) => typeof id === 'string' && id !== '' && id.length <= MAX_ID_CHARS))
      return 'target_device_ids must hold non-empty strings';
  }
  return { actionArgs, targetDeviceIds: targets as string[] | undefined };
}

/**
 * A device as Relay's `GET /relaypro/api/v1/device/<id>` returns it: the fields @relaypro/sdk
 * 2.4.0's `mapDevice` reads, filled from the simulated device.
 */
export function deviceRecord(device: SimulatedDevice, connectedAt: number): Record<string, unknown> {
  return {
    device_id: device.id,
    device_label: device.name,
    device_status: 'online',
    last_connect_timestamp: new Date(connectedAt).toISOString(),
    active_channel: 'main',
    mode: 'normal',
    background_audio: false,
    device_details: {
      device_info: {
        battery_level: device.battery,
        battery_status: 'discharging',
        product_name: device.type,
        network_status: { connection_type: 'wifi', wifi_bars: 4, cell_bars: 0 },
      },
      location: {
        address: device.address,
        lat: device.latlong[0],
        long: device.latlong[1],
        indoor_location: device.indoorLocation,
        // UTC without a zone, as Relay sends it (2.4.0 appends the Z).
        timestamp: new Date(connectedAt).toISOString().slice(0, -1),
      },
      username: device.username,
    },
  };
}

/** What a workflow-registration endpoint answers: a status and its JSON body. */
export interface RowsAnswer {
  status: number;
  body: unknown;
}

export interface CloudWorkflowsOptions {
  /** Most rows kept; a create beyond it gets 409. Default `RELAY_LIMITS.maxWorkflows`. */
  maxRows?: number;
  /** Most bytes of JSON all rows together may hold; a save beyond it gets 409. Default 4 MiB. */
  maxBytes?: number;
  /** Answer each row's `config` as a JSON string, as Relay may. Default false. */
  configAsString?: boolean;
}

/**
 * The account's workflow registrations as Relay's workflow API keeps them (`GET/POST
 * /ibot/workflow`, `DELETE /ibot/workflow/:id`), in memory, bounded in count and bytes. A POST
 * without `workflow_id` creates a row with a new `wf_<name>_<random>` id; with one, it replaces
 * that row whole (Relay has no PUT). Rows are kept as JSON text, so nothing a client sent is
 * ever looked up on a plain object.
 */
export class CloudWorkflows {
  /** workflow_id → the row as JSON text. */
  private readonly rows = new Map<string, string>();
  private bytes = 0;
  private readonly maxRows: number;
  private readonly maxBytes: number;
  private readonly configAsString: boolean;

  constructor({
    maxRows = RELAY_LIMITS.maxWorkflows,
    maxBytes = 4 * 1024 * 1024,
    configAsString = false,
  }: CloudWorkflowsOptions = {}) {
    this.maxRows = maxRows;
    this.maxBytes = maxBytes;
    this.configAsString = configAsString;
  }

  /** Every row, oldest first, as Relay answers a list: `{"results": [row, ...]}`. */
  list(): RowsAnswer {
    return { status: 200, body: { results: [...this.rows.values()].map((text) => this.answerRow(text)) } };
  }

  /** The rows now, parsed (for tests to look at). */
  get all(): Array<Record<string, unknown>> {
    return [...this.rows.values()].map((text) => JSON.parse(text) as Record<string, unknown>);
  }

  /** Answers a `POST /ibot/workflow` body: creates or replaces a row, and answers `[row]`. */
  save(text: string): RowsAnswer {
    const row = parseJson(text);
    if (!isRecord(row)) return rowRefusal(400, 'the body must be a JSON object (a workflow row)');
    const fields = new Map<string, unknown>(Object.entries(row));
    const problem = rowProblem(fields);
    if (problem !== undefined) return rowRefusal(400, problem);
    const given = fields.get('workflow_id');
    if (given !== undefined && typeof given !== 'string') return rowRefusal(400, 'workflow_id must be a string');
    if (given !== undefined && !this.rows.has(given))
      return rowRefusal(404, `no workflow ${given.slice(0, 100)} on this account`);
    const workflowId = given ?? newWorkflowId(String(fields.get('name')));
    const stored = JSON.stringify({ ...Object.fromEntries(fields), workflow_id: workflowId });
    const freed = given === undefined ? 0 : Buffer.byteLength(this.rows.get(given) ?? '');
    if (given === undefined && this.rows.size >= this.maxRows)
      return rowRefusal(409, `this account has ${this.rows.size} workflows, the most the simulated cloud keeps`);
    if (this.bytes - freed + Buffer.byteLength(stored) > this.maxBytes)
      return rowRefusal(
        409,
        `the account's workflows would pass ${this.maxBytes} bytes, the most the simulated cloud keeps`,
      );
    this.bytes += Buffer.byteLength(stored) - freed;
    this.rows.set(workflowId, stored);
    return { status: 200, body: [this.answerRow(stored)] };
  }

  /** Answers `DELETE /ibot/workflow/:id`. */
  delete(workflowId: string): RowsAnswer {
    const text = this.rows.get(workflowId);
    if (text === undefined) return rowRefusal(404, `no workflow ${workflowId.slice(0, 100)} on this account`);
    this.rows.delete(workflowId);
    this.bytes -= Buffer.byteLength(text);
    return { status: 200, body: { status: 'ok' } };
  }

  private answerRow(text: string): unknown {
    const row = JSON.parse(text) as Record<string, unknown>;
    return this.configAsString ? { ...row, config: JSON.stringify(row.config) } : row;
  }
}

/** What is wrong with a row Relay would refuse: no name, no `config.trigger.start.workflow.uri` of ws:// or wss://. */
function rowProblem(fields: ReadonlyMap<string, unknown>): string | undefined {
  const name = fields.get('name');
  if (typeof name !== 'string' || name === '' || name.length > MAX_ID_CHARS)
    return `name must be a string of 1 to ${MAX_ID_CHARS} characters`;
  let node: unknown = fields.get('config');
  for (const key of ['trigger', 'start', 'workflow', 'uri']) {
    node = isRecord(node) && Object.hasOwn(node, key) ? node[key] : undefined;
  }
  const protocol = typeof node === 'string' ? URL.parse(node)?.protocol : undefined;
  if (protocol !== 'ws:' && protocol !== 'wss:')
    return 'config.trigger.start.workflow.uri must be a ws:// or wss:// URI';
  return undefined;
}

/** `wf_<name>_<random>`, as Relay makes them. */
function newWorkflowId(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 40);
  return `wf_${slug}_${randomBytes(8)
    .toString('base64url')
    .replace(/[^A-Za-z0-9]/g, 'x')}`;
}

function rowRefusal(status: number, message: string): RowsAnswer {
  return { status, body: { message } };
}
