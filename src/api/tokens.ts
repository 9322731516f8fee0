/**
 * Access tokens for Relay's HTTP API: which sign-in a refresh token belongs to (Relay's OpenID
 * Connect service, or @relaypro/sdk 2.4.0's legacy `/oauth2` endpoints), the refresh-token grant
 * of each, and the cache that keeps one token until shortly before it expires and lets concurrent
 * calls share a request.
 */
import { hostOf, isRecord } from '../util';
import {
  afterAttempts,
  asCallError,
  noAnswerCode,
  parseJson,
  quoted,
  relayMessageOf,
  RelayApiError,
  RelayApiErrorCode,
  type RelayApiCall,
} from './errors';
import { isNoAnswer, sendWithRetries, type HttpAnswer, type SendOptions } from './transport';

/** An access token, with the user id Relay's legacy validate endpoint gave for it. */
export interface AccessToken {
  readonly accessToken: string;
  /**
   * The legacy sign-in's validated user id, which every API call names as `user_id`; undefined
   * after an OpenID Connect grant, which has no validate endpoint (the call names a device instead).
   */
  readonly userId: string | undefined;
  /** When to stop using it (ms since the epoch): the token's lifetime minus a safety margin. */
  readonly expiresAt: number;
}

const RECENT_TOKENS = 4;

/**
 * Caches one access token until it expires and makes sure at most one token request runs at a
 * time: concurrent callers, and callers that hit a 401 together, share the same request.
 */
export class AccessTokens {
  private current: AccessToken | undefined;
  private pending: Promise<AccessToken> | undefined;
  /** The latest few tokens, the current one included: an answer may echo one already replaced. */
  private readonly recent: string[] = [];

  constructor(
    private readonly request: (call: RelayApiCall) => Promise<AccessToken>,
    private readonly now: () => number,
  ) {}

  /**
   * The cached token while it is fresh; otherwise the (shared) result of a new request. A failed
   * request rejects with a RelayApiError named after `call`, whichever call started it.
   */
  get(call: RelayApiCall): Promise<AccessToken> {
    const current = this.current;
    if (current !== undefined && this.now() < current.expiresAt) return Promise.resolve(current);
    this.pending ??= this.request(call)
      .then((token) => {
        this.current = token;
        this.recent.unshift(token.accessToken);
        this.recent.length = Math.min(this.recent.length, RECENT_TOKENS);
        return token;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending.catch((error: unknown) => {
      throw asCallError(error, call);
    });
  }

  /**
   * Drops `token` after Relay refused it. A token that is no longer the cached one (another
   * caller already replaced it) is left alone, so N refused calls cause one new request, not N.
   */
  invalidate(token: AccessToken): void {
    if (this.current === token) this.current = undefined;
  }

  /** The latest tokens' values, for scrubbing them from anything Relay echoes back. */
  get secrets(): readonly string[] {
    return this.recent;
  }
}

/** Used when the token answer has no `expires_in`; Relay documents "single-digit hours". */
const DEFAULT_LIFETIME_SECS = 3600;
/** Stop using a token this long before it expires (or at half its life, if that is shorter). */
const SAFETY_MARGIN_MS = 60_000;
/** What an access or refresh token may look like to go in a header or a form: printable ASCII, no spaces. */
const HEADER_SAFE = /^[\x21-\x7e]{1,8192}$/;
/** The longest refresh token read as a JWT (RELAY_API_KEY takes at most 4096 characters). */
const MAX_JWT_CHARS = 4096;
const JWT = /^[A-Za-z0-9_-]{1,1024}\.([A-Za-z0-9_-]{1,3072})\.[A-Za-z0-9_-]{0,1024}$/;
/** What a JWT's `azp` (client id) may be to go in a form; anything else is as if absent. */
const CLIENT_ID = /^[A-Za-z0-9._~:-]{1,128}$/;
/** An issuer's path segments: no dot segments, nothing to escape. */
const ISSUER_PATH = /^(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,99}){0,8}$/;
/** Where an issuer's OpenID Connect token endpoint is, below the issuer (Keycloak's layout). */
const OIDC_TOKEN_PATH = '/protocol/openid-connect/token';

/** How a refresh token is exchanged for access tokens: where, with which client id. */
export type SignIn =
  | {
      /** @relaypro/sdk 2.4.0's: `POST <authUrl>/oauth2/token`, then `GET <authUrl>/oauth2/validate`. */
      readonly kind: 'legacy';
      readonly authUrl: string;
      readonly clientId: string;
    }
  | {
      /** Relay's OpenID Connect service (relay CLI 1.x): `POST <tokenUrl>`, no validate. */
      readonly kind: 'oidc';
      readonly tokenUrl: string;
      readonly clientId: string;
    };

export interface SignInSettings {
  /** RELAY_API_KEY. */
  refreshToken: string;
  /** RELAY_AUTH_URL: replaces the token service's base URL for both kinds of token. */
  authUrl: string | undefined;
  /** RELAY_CLIENT_ID: replaces the client id of both kinds of token. */
  clientId: string | undefined;
  /** RELAY_ENV's legacy token service and client id, for an opaque token. */
  legacy: { authUrl: string; clientId: string };
  /** RELAY_ENV's SDK client id, for a JWT that names none. */
  oidcClientId: string;
  /** The origins (`https://host`) of Relay's sign-in services: the only issuers trusted besides `authUrl`'s. */
  relayOrigins: readonly string[];
}

/**
 * Which sign-in `settings.refreshToken` belongs to. A JWT (three base64url parts whose middle one is
 * JSON naming an issuer `iss`) is Relay's OpenID Connect sign-in: its grant goes to
 * `<iss>/protocol/openid-connect/token` with the JWT's client `azp`. Anything else (a parse
 * failure included) is an opaque 2.4.0-era token, for the legacy `/oauth2` endpoints. The JWT is
 * read, never verified: it only picks the endpoint, and the refresh token is sent only to an issuer
 * whose origin is Relay's or RELAY_AUTH_URL's. With RELAY_AUTH_URL set, the grant goes to
 * `<RELAY_AUTH_URL><issuer's path>/protocol/openid-connect/token`: the override replaces the host,
 * as a proxy or the simulated cloud standing in for Relay's sign-in expects.
 *
 * Returns the problem (naming what to set, never the token) when the JWT names another issuer.
 */
export function signInOf(settings: SignInSettings): SignIn | string {
  const claims = jwtClaimsOf(settings.refreshToken);
  if (claims === undefined) {
    return {
      kind: 'legacy',
      authUrl: settings.authUrl ?? settings.legacy.authUrl,
      clientId: settings.clientId ?? settings.legacy.clientId,
    };
  }
  const issuer = URL.parse(claims.iss);
  const trusted = new Set(settings.relayOrigins);
  const override = settings.authUrl === undefined ? undefined : URL.parse(settings.authUrl);
  if (override !== undefined && override !== null) trusted.add(override.origin);
  if (
    issuer === null ||
    !trusted.has(issuer.origin) ||
    // Written in normal form: no dot segments, escapes or case for the parser to resolve.
    issuer.href.replace(/\/$/, '') !== claims.iss.replace(/\/$/, '') ||
    issuer.username !== '' ||
    issuer.password !== '' ||
    issuer.search !== '' ||
    issuer.hash !== '' ||
    !ISSUER_PATH.test(issuer.pathname.replace(/\/$/, ''))
  ) {
    const named =
      issuer === null ? 'an issuer that is not a URL' : `the issuer ${JSON.stringify(printable(issuer.host))}`;
    const relayHosts = settings.relayOrigins.map((origin) => URL.parse(origin)?.host).join(', ');
    return (
      `RELAY_API_KEY is a sign-in token naming ${named}, not one of Relay's (${relayHosts}${settings.authUrl === undefined ? '' : ` or RELAY_AUTH_URL's`}), ` +
      'so it was not sent there: set RELAY_API_KEY to a refresh token from "relay token:generate", ' +
      "or set RELAY_AUTH_URL to that service's base URL if you mean to sign in there"
    );
  }
  const base = settings.authUrl ?? issuer.origin;
  return {
    kind: 'oidc',
    tokenUrl: `${base}${issuer.pathname.replace(/\/$/, '')}${OIDC_TOKEN_PATH}`,
    clientId: settings.clientId ?? claims.azp ?? settings.oidcClientId,
  };
}

/** A JWT's `iss` (and `azp` when usable), or undefined for anything that is not a JWT naming an issuer. */
function jwtClaimsOf(token: string): { iss: string; azp: string | undefined } | undefined {
  if (token.length > MAX_JWT_CHARS) return undefined;
  const payload = JWT.exec(token)?.[1];
  if (payload === undefined) return undefined;
  const claims = asObject(parseJson(Buffer.from(payload, 'base64url').toString('utf8')));
  const iss = claims?.iss;
  const azp = claims?.azp;
  if (typeof iss !== 'string' || iss === '' || iss.length > 512) return undefined;
  return { iss, azp: typeof azp === 'string' && CLIENT_ID.test(azp) ? azp : undefined };
}

/** At most 100 characters of `text`, with nothing but printable ASCII. */
function printable(text: string): string {
  return text.replace(/[^\x21-\x7e]/g, '?').slice(0, 100);
}

export interface TokenRequest {
  signIn: SignIn;
  /** The refresh token to redeem: RELAY_API_KEY, or the one the last OpenID Connect grant returned. */
  refreshToken: string;
  /** Every refresh token this process has held, to scrub from what the token service echoes. */
  refreshTokens: readonly string[];
  /** Whether RELAY_CLIENT_ID replaced the token's own client id (the advice then names it). */
  clientIdOverridden: boolean;
  userAgent: string;
  now: () => number;
  send: SendOptions;
}

/** An access token, and the refresh token to use for the next grant if the service rotated it. */
export interface GrantedToken extends AccessToken {
  readonly refreshToken: string | undefined;
}

/**
 * The refresh-token grant of `request.signIn`: at the OpenID Connect token endpoint, or, for an
 * opaque token, `POST <auth>/oauth2/token` then, as @relaypro/sdk 2.4.0 does,
 * `GET <auth>/oauth2/validate` for the user id every API call names. A failure is a RelayApiError
 * of `call` whose message starts "could not get an access token".
 */
export function requestAccessToken(call: RelayApiCall, request: TokenRequest): Promise<GrantedToken> {
  return request.signIn.kind === 'oidc'
    ? requestOidcToken(call, request, request.signIn)
    : requestLegacyToken(call, request, request.signIn);
}

async function requestOidcToken(
  call: RelayApiCall,
  request: TokenRequest,
  signIn: Extract<SignIn, { kind: 'oidc' }>,
): Promise<GrantedToken> {
  const startedAt = request.now();
  const service: TokenService = {
    where: `Relay's sign-in at ${hostOf(signIn.tokenUrl)}`,
    check: 'RELAY_AUTH_URL',
    refusedAdvice:
      'the refresh token is expired, revoked or made for another RELAY_ENV: make a new one with "relay token:generate" ' +
      '(tick "Remember me") and set RELAY_API_KEY to it' +
      (request.clientIdOverridden ? ', and check RELAY_CLIENT_ID, which replaces the client id the token names' : ''),
  };
  const granted = await askTokenService(call, request, service, {
    method: 'POST',
    url: signIn.tokenUrl,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: grantForm(request.refreshToken, signIn.clientId),
  });
  const answer = asObject(parseJson(granted.text));
  const accessToken = usableAccessToken(call, service, answer, granted.status);
  const rotated = answer?.refresh_token;
  return {
    accessToken,
    userId: undefined,
    expiresAt: expiryOf(startedAt, answer?.expires_in),
    refreshToken: typeof rotated === 'string' && HEADER_SAFE.test(rotated) ? rotated : undefined,
  };
}

async function requestLegacyToken(
  call: RelayApiCall,
  request: TokenRequest,
  signIn: Extract<SignIn, { kind: 'legacy' }>,
): Promise<GrantedToken> {
  const startedAt = request.now();
  const service: TokenService = {
    where: `the token service at ${hostOf(signIn.authUrl)}`,
    check: 'RELAY_AUTH_URL and RELAY_ENV',
    refusedAdvice: `check that RELAY_API_KEY is a current refresh token ("relay token:generate" makes one) made for RELAY_ENV (pro or qa)`,
  };
  const granted = await askTokenService(call, request, service, {
    method: 'POST',
    url: `${signIn.authUrl}/oauth2/token`,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: grantForm(request.refreshToken, signIn.clientId),
  });
  const answer = asObject(parseJson(granted.text));
  const accessToken = usableAccessToken(call, service, answer, granted.status);
  const validated = await askTokenService(
    call,
    request,
    service,
    { method: 'GET', url: `${signIn.authUrl}/oauth2/validate`, headers: { Authorization: `Bearer ${accessToken}` } },
    [accessToken],
  );
  const userId = asObject(parseJson(validated.text))?.userid;
  if (
    (typeof userId !== 'string' && typeof userId !== 'number') ||
    String(userId) === '' ||
    String(userId).length > 256
  ) {
    throw tokenError(
      call,
      RelayApiErrorCode.RESPONSE,
      `${service.where} validated the access token without a usable userid; check RELAY_AUTH_URL`,
      validated.status,
    );
  }
  return {
    accessToken,
    userId: String(userId),
    expiresAt: expiryOf(startedAt, answer?.expires_in),
    refreshToken: undefined,
  };
}

/** The token service asked, as a failure names it: where it is, what to check, what to do when it refuses. */
interface TokenService {
  where: string;
  check: string;
  refusedAdvice: string;
}

function grantForm(refreshToken: string, clientId: string): string {
  return new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: clientId,
  }).toString();
}

/** The grant answer's `access_token`, or a RelayApiError of `call`. */
function usableAccessToken(
  call: RelayApiCall,
  service: TokenService,
  answer: Record<string, unknown> | undefined,
  status: number,
): string {
  const accessToken = answer?.access_token;
  if (typeof accessToken === 'string' && HEADER_SAFE.test(accessToken)) return accessToken;
  throw tokenError(
    call,
    RelayApiErrorCode.RESPONSE,
    `${service.where} answered without a usable access_token; check ${service.check}`,
    status,
  );
}

/** One request to the token service; a non-2xx answer or no answer is a RelayApiError of `call`. */
async function askTokenService(
  call: RelayApiCall,
  request: TokenRequest,
  service: TokenService,
  {
    method,
    url,
    headers,
    body,
  }: { method: 'GET' | 'POST'; url: string; headers: Record<string, string>; body?: string },
  moreSecrets: string[] = [],
): Promise<HttpAnswer> {
  const answer = await sendWithRetries(
    'accessToken',
    {
      method,
      url,
      headers: { Accept: 'application/json', 'User-Agent': request.userAgent, ...headers },
      body,
      idempotent: true,
    },
    request.send,
  );
  const path = URL.parse(url)?.pathname ?? url;
  if (isNoAnswer(answer)) {
    throw tokenError(
      call,
      noAnswerCode(answer.kind),
      `${service.where}: ${answer.detail}${afterAttempts(answer.attempts)}; check ${service.check.replace(' and ', ', ')} and the network`,
    );
  }
  if (answer.status >= 200 && answer.status < 300) return answer;
  const relayMessage = relayMessageOf(answer.text, [...request.refreshTokens, ...moreSecrets]);
  const refused = answer.status === 400 || answer.status === 401 || answer.status === 403;
  const advice = refused ? service.refusedAdvice : `try again later; if it lasts, check ${service.check}`;
  throw tokenError(
    call,
    refused ? RelayApiErrorCode.AUTH : RelayApiErrorCode.HTTP,
    `${service.where} answered ${path} with HTTP ${answer.status}${quoted(relayMessage)}${afterAttempts(answer.attempts)}; ${advice}`,
    answer.status,
    relayMessage,
  );
}

function tokenError(
  call: RelayApiCall,
  code: RelayApiErrorCode,
  detail: string,
  status?: number,
  relayMessage?: string,
): RelayApiError {
  return new RelayApiError({
    call,
    code,
    status,
    relayMessage,
    message: `${call} failed: could not get an access token: ${detail}`,
  });
}

/** When to stop using a token granted at `startedAt` with `expires_in` = `value`. */
function expiryOf(startedAt: number, value: unknown): number {
  const lifetimeMs = lifetimeSecsOf(value) * 1000;
  return startedAt + lifetimeMs - Math.min(SAFETY_MARGIN_MS, lifetimeMs / 2);
}

function lifetimeSecsOf(value: unknown): number {
  const secs = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value;
  return typeof secs === 'number' && Number.isFinite(secs) && secs > 0 && secs <= 366 * 86_400
    ? secs
    : DEFAULT_LIFETIME_SECS;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? Object.assign(Object.create(null) as Record<string, unknown>, value) : undefined;
}
