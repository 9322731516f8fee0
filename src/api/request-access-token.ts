import { hostOf, isRecord } from '../util';
import { afterAttempts, parseJson, quoted, relayMessageOf } from './describe-failure';
import type { AccessToken } from './access-tokens';
import { RelayApiErrorCode } from './relay-api-error';
import { sendWithRetries, TransportError, type HttpAnswer, type SendOptions } from './send-with-retries';

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
 * Getting a token failed. Not yet a RelayApiError: a token request is shared by concurrent calls,
 * and each of them reports the failure under its own name.
 */
export class TokenFailure extends Error {
  constructor(
    readonly code: RelayApiErrorCode,
    readonly detail: string,
    readonly status?: number,
    readonly relayMessage?: string,
  ) {
    super(detail);
    this.name = 'TokenFailure';
  }
}

/**
 * The refresh-token grant (`POST <auth>/oauth2/token`), then, as @relaypro/sdk 2.4.0 does,
 * `GET <auth>/oauth2/validate` for the user id every API call names. Throws {@link TokenFailure}.
 */
export async function requestAccessToken(request: TokenRequest): Promise<AccessToken> {
  const startedAt = request.now();
  const granted = await exchange(request, 'POST', '/oauth2/token', {
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
    throw new TokenFailure(
      RelayApiErrorCode.RESPONSE,
      `the token service at ${hostOf(request.authUrl)} answered without a usable access_token; check RELAY_AUTH_URL and RELAY_ENV`,
      granted.status,
    );
  }
  const validated = await exchange(request, 'GET', '/oauth2/validate', { Authorization: `Bearer ${accessToken}` }, [
    accessToken,
  ]);
  const userId = asObject(parseJson(validated.text))?.userid;
  if (
    (typeof userId !== 'string' && typeof userId !== 'number') ||
    String(userId) === '' ||
    String(userId).length > 256
  ) {
    throw new TokenFailure(
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

/** One request to the token service; a non-2xx answer or no answer becomes a TokenFailure. */
async function exchange(
  request: TokenRequest,
  method: 'GET' | 'POST',
  path: string,
  { body, ...headers }: Record<string, string>,
  moreSecrets: string[] = [],
): Promise<HttpAnswer> {
  const where = `the token service at ${hostOf(request.authUrl)}`;
  let answer: HttpAnswer;
  try {
    answer = await sendWithRetries(
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
  } catch (error) {
    if (!(error instanceof TransportError)) throw error;
    const code =
      error.kind === 'timeout'
        ? RelayApiErrorCode.TIMEOUT
        : error.kind === 'network'
          ? RelayApiErrorCode.NETWORK
          : RelayApiErrorCode.RESPONSE;
    throw new TokenFailure(
      code,
      `${where}: ${error.detail}${afterAttempts(error.attempts)}; check RELAY_AUTH_URL, RELAY_ENV and the network`,
    );
  }
  if (answer.status >= 200 && answer.status < 300) return answer;
  const relayMessage = relayMessageOf(answer.text, [request.apiKey, ...moreSecrets]);
  const refused = answer.status === 400 || answer.status === 401 || answer.status === 403;
  const advice = refused
    ? `check that RELAY_API_KEY is a current refresh token ("relay token generate" makes one) made for RELAY_ENV (pro or qa)`
    : 'try again later; if it lasts, check RELAY_AUTH_URL and RELAY_ENV';
  throw new TokenFailure(
    refused ? RelayApiErrorCode.AUTH : RelayApiErrorCode.HTTP,
    `${where} answered ${path} with HTTP ${answer.status}${quoted(relayMessage)}${afterAttempts(answer.attempts)}; ${advice}`,
    answer.status,
    relayMessage,
  );
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
