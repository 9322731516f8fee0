import type { Logger } from '../logger';
import { BodyTooLargeError, readCappedBody } from './read-capped-body';
import { retryDelayMs } from './retry-delay';

/** One HTTP request, as the client sends it (on every attempt). */
export interface HttpExchange {
  method: 'GET' | 'POST';
  url: string;
  headers: Readonly<Record<string, string>>;
  body?: string;
  /**
   * Whether repeating it is harmless even if Relay may have acted on it: true for reads and the
   * token grant. A trigger is not: after a timeout or a connection dropped mid-request, Relay may
   * have started the workflow already, so only failures before the request left are retried.
   */
  idempotent: boolean;
}

/** Relay's answer (any status) after the last attempt. */
export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
  attempts: number;
}

export interface SendOptions {
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  maxAttempts: number;
  maxBodyBytes: number;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Logs each retry at warn, with the call's name and no URL query or header. */
  log: Logger;
}

/** Answers worth another attempt: rate limited, or a gateway/Relay briefly unavailable. */
const RETRY_STATUSES = new Set([429, 502, 503, 504]);
/** Network errors that happen before a request leaves: safe to retry even for a trigger. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** No usable answer came: `kind` says why, `detail` is a short, secret-free description. */
export class TransportError extends Error {
  constructor(
    readonly kind: 'timeout' | 'network' | 'too-large',
    readonly detail: string,
    readonly attempts: number,
    /** The system error code of a network failure (ECONNREFUSED...). */
    readonly errorCode?: string,
  ) {
    super(detail);
    this.name = 'TransportError';
  }
}

/**
 * Sends `exchange` with a timeout per attempt, retrying network failures, 429, 502, 503 and 504
 * with backoff (or Relay's Retry-After) up to `maxAttempts` attempts in all. Resolves with the last
 * answer, whatever its status; rejects with a {@link TransportError} when no answer came.
 */
export async function sendWithRetries(call: string, exchange: HttpExchange, options: SendOptions): Promise<HttpAnswer> {
  for (let attempt = 1; ; attempt += 1) {
    let outcome: Omit<HttpAnswer, 'attempts'> | TransportError;
    try {
      outcome = await sendOnce(exchange, options);
    } catch (error) {
      outcome = asTransportError(error, attempt, options);
    }
    const last = attempt >= options.maxAttempts;
    let delayMs: number;
    if (outcome instanceof TransportError) {
      if (last || !mayRetryFailure(outcome, exchange)) throw outcome;
      delayMs = retryDelayMs(attempt, null, options.random);
      options.log.warn(
        { call, attempt, maxAttempts: options.maxAttempts, failure: outcome.detail, delayMs },
        'Relay API call failed; retrying',
      );
    } else {
      if (last || !RETRY_STATUSES.has(outcome.status)) return { ...outcome, attempts: attempt };
      delayMs = retryDelayMs(attempt, outcome.headers.get('retry-after'), options.random);
      options.log.warn(
        { call, attempt, maxAttempts: options.maxAttempts, status: outcome.status, delayMs },
        'Relay API call failed; retrying',
      );
    }
    await options.sleep(delayMs);
  }
}

async function sendOnce(exchange: HttpExchange, options: SendOptions): Promise<Omit<HttpAnswer, 'attempts'>> {
  const response = await options.fetch(exchange.url, {
    method: exchange.method,
    headers: exchange.headers,
    body: exchange.body,
    redirect: 'error',
    signal: AbortSignal.timeout(options.timeoutMs),
  });
  const text = await readCappedBody(response, options.maxBodyBytes);
  return { status: response.status, headers: response.headers, text };
}

function mayRetryFailure(failure: TransportError, exchange: HttpExchange): boolean {
  if (failure.kind === 'too-large') return false;
  if (exchange.idempotent) return true;
  return failure.kind === 'network' && failure.errorCode !== undefined && NOT_SENT.has(failure.errorCode);
}

/** Turns what fetch threw into a TransportError. */
function asTransportError(error: unknown, attempt: number, options: SendOptions): TransportError {
  if (error instanceof BodyTooLargeError)
    return new TransportError('too-large', `answer larger than ${options.maxBodyBytes} bytes`, attempt);
  // Duck-typed, not instanceof: fetch's errors may come from another realm (jest's sandbox, a vm).
  const name = fieldOf(error, 'name');
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new TransportError('timeout', `no answer within ${options.timeoutMs} ms`, attempt);
  }
  const code = errorCode(error);
  // Only the code and fetch's own generic text: an error's message may quote a header value.
  return new TransportError(
    'network',
    code === undefined ? 'the request failed' : `the request failed with ${code}`,
    attempt,
    code,
  );
}

/** The first system error code along the cause chain (fetch puts it on its error's cause). */
function errorCode(error: unknown): string | undefined {
  for (
    let current: unknown = error, depth = 0;
    current !== undefined && depth < 4;
    current = fieldOf(current, 'cause'), depth += 1
  ) {
    const code = fieldOf(current, 'code');
    if (typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code)) return code;
  }
  return undefined;
}

function fieldOf(value: unknown, field: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[field] : undefined;
}
