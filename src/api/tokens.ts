/**
 * Access tokens for Relay's HTTP API: the refresh-token grant and its validation, and the cache
 * that keeps one token until shortly before it expires and lets concurrent calls share a request.
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

/** An access token with the user id Relay's validate endpoint gave for it. */
export interface AccessToken {
  readonly accessToken: string;
  readonly userId: string;
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
/** What an access token may look like to go in a header: printable ASCII, no spaces. */
const HEADER_SAFE = /^[\x21-\x7e]{1,8192}$/;

export interface TokenRequest {
  apiKey: string;
  authUrl: string;
  clientId: string;
  userAgent: string;
  now: () => number;
  send: SendOptions;
}

/**
 * The refresh-token grant (`POST <auth>/oauth2/token`), then, as @relaypro/sdk 2.4.0 does,
 * `GET <auth>/oauth2/validate` for the user id every API call names. A failure is a RelayApiError
 * of `call` whose message starts "could not get an access token".
 */
export async function requestAccessToken(call: RelayApiCall, request: TokenRequest): Promise<AccessToken> {
  const startedAt = request.now();
  const granted = await askTokenService(call, request, 'POST', '/oauth2/token', {
    'Content-Type': 'application/x-www-form-urlencoded',
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: request.apiKey,
      client_id: request.clientId,
    }).toString(),
  });
  const answer = asObject(parseJson(granted.text));
  const accessToken = answer?.access_token;
  if (typeof accessToken !== 'string' || !HEADER_SAFE.test(accessToken)) {
    throw tokenError(
      call,
      RelayApiErrorCode.RESPONSE,
      `the token service at ${hostOf(request.authUrl)} answered without a usable access_token; check RELAY_AUTH_URL and RELAY_ENV`,
      granted.status,
    );
  }
  const validated = await askTokenService(
    call,
    request,
    'GET',
    '/oauth2/validate',
    { Authorization: `Bearer ${accessToken}` },
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
      `the token service at ${hostOf(request.authUrl)} validated the access token without a usable userid; check RELAY_AUTH_URL`,
      validated.status,
    );
  }
  const lifetimeMs = lifetimeSecsOf(answer?.expires_in) * 1000;
  return {
    accessToken,
    userId: String(userId),
    expiresAt: startedAt + lifetimeMs - Math.min(SAFETY_MARGIN_MS, lifetimeMs / 2),
  };
}

/** One request to the token service; a non-2xx answer or no answer is a RelayApiError of `call`. */
async function askTokenService(
  call: RelayApiCall,
  request: TokenRequest,
  method: 'GET' | 'POST',
  path: string,
  { body, ...headers }: Record<string, string>,
  moreSecrets: string[] = [],
): Promise<HttpAnswer> {
  const where = `the token service at ${hostOf(request.authUrl)}`;
  const answer = await sendWithRetries(
    'accessToken',
    {
      method,
      url: `${request.authUrl}${path}`,
      headers: { Accept: 'application/json', 'User-Agent': request.userAgent, ...headers },
      body,
      idempotent: true,
    },
    request.send,
  );
  if (isNoAnswer(answer)) {
    throw tokenError(
      call,
      noAnswerCode(answer.kind),
      `${where}: ${answer.detail}${afterAttempts(answer.attempts)}; check RELAY_AUTH_URL, RELAY_ENV and the network`,
    );
  }
  if (answer.status >= 200 && answer.status < 300) return answer;
  const relayMessage = relayMessageOf(answer.text, [request.apiKey, ...moreSecrets]);
  const refused = answer.status === 400 || answer.status === 401 || answer.status === 403;
  const advice = refused
    ? `check that RELAY_API_KEY is a current refresh token ("relay token generate" makes one) made for RELAY_ENV (pro or qa)`
    : 'try again later; if it lasts, check RELAY_AUTH_URL and RELAY_ENV';
  throw tokenError(
    call,
    refused ? RelayApiErrorCode.AUTH : RelayApiErrorCode.HTTP,
    `${where} answered ${path} with HTTP ${answer.status}${quoted(relayMessage)}${afterAttempts(answer.attempts)}; ${advice}`,
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

function lifetimeSecsOf(value: unknown): number {
  const secs = typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : value;
  return typeof secs === 'number' && Number.isFinite(secs) && secs > 0 && secs <= 366 * 86_400
    ? secs
    : DEFAULT_LIFETIME_SECS;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? Object.assign(Object.create(null) as Record<string, unknown>, value) : undefined;
}
