/**
 * The client's HTTP transport: one request sent with a timeout per attempt, retried with backoff
 * (or Relay's Retry-After) when that is safe, its answer's body read up to a cap. It reports what
 * happened (an answer of any status, or why none came) and leaves the wording of a failure to the
 * caller, which knows which service it asked and what to check.
 */
import type { Logger } from '../logger';

/** One HTTP request, as the client sends it (on every attempt). */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  headers: Readonly<Record<string, string>>;
  body?: string;
  /**
   * Whether repeating it is harmless even if Relay may have acted on it: true for reads, deletes,
   * updates and the token grant. A trigger or a POST that creates a registration is not: after a timeout or a connection dropped mid-request, Relay may
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

/** No usable answer came: `kind` says why, `detail` is a short, secret-free description. */
export interface NoAnswer {
  kind: 'timeout' | 'network' | 'too-large' | 'cancelled';
  detail: string;
  attempts: number;
  /** The system error code of a network failure (ECONNREFUSED...). */
  errorCode?: string;
}

export interface SendOptions {
  fetch: typeof globalThis.fetch;
  timeoutMs: number;
  maxAttempts: number;
  maxBodyBytes: number;
  random: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Logs each retry at warn, with the call's name and no URL query or header. */
  logger: Logger;
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

/**
 * Sends `request` with a timeout per attempt, retrying network failures, 429, 502, 503 and 504
 * with backoff (or Relay's Retry-After) up to `maxAttempts` attempts in all. Resolves with the last
 * answer, whatever its status, or with a {@link NoAnswer} when none came. Once `signal` aborts (the
 * call's deadline), the attempt in flight is cut and no other is made.
 */
export async function sendWithRetries(
  call: string,
  request: HttpRequest,
  options: SendOptions,
  signal?: AbortSignal,
): Promise<HttpAnswer | NoAnswer> {
  for (let attempt = 1; ; attempt += 1) {
    // Past the deadline (during a wait between attempts too), no further attempt is made.
    if (signal?.aborted === true && attempt > 1)
      return { kind: 'cancelled', detail: 'the call was cancelled', attempts: attempt - 1 };
    let outcome: Omit<HttpAnswer, 'attempts'> | NoAnswer;
    try {
      outcome = await sendOnce(request, options, signal, attempt);
    } catch (error) {
      outcome = noAnswerOf(error, attempt, options);
    }
    if (signal?.aborted === true) return { kind: 'cancelled', detail: 'the call was cancelled', attempts: attempt };
    const last = attempt >= options.maxAttempts;
    let delayMs: number;
    if (isNoAnswer(outcome)) {
      if (last || !mayRetryFailure(outcome, request)) return outcome;
      delayMs = retryDelayMs(attempt, null, options.random);
      options.logger.warn(
        { call, attempt, maxAttempts: options.maxAttempts, failure: outcome.detail, delayMs },
        'Relay API call failed; retrying',
      );
    } else {
      if (last || !RETRY_STATUSES.has(outcome.status)) return { ...outcome, attempts: attempt };
      delayMs = retryDelayMs(attempt, outcome.headers.get('retry-after'), options.random);
      options.logger.warn(
        { call, attempt, maxAttempts: options.maxAttempts, status: outcome.status, delayMs },
        'Relay API call failed; retrying',
      );
    }
    await options.sleep(delayMs);
  }
}

export function isNoAnswer(outcome: object): outcome is NoAnswer {
  return 'kind' in outcome;
}

async function sendOnce(
  request: HttpRequest,
  options: SendOptions,
  signal: AbortSignal | undefined,
  attempts: number,
): Promise<Omit<HttpAnswer, 'attempts'> | NoAnswer> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const response = await options.fetch(request.url, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    redirect: 'error',
    signal: signal === undefined ? timeout : AbortSignal.any([timeout, signal]),
  });
  const text = await readCappedBody(response, options.maxBodyBytes);
  if (text === undefined) {
    return { kind: 'too-large', detail: `answer larger than ${options.maxBodyBytes} bytes`, attempts };
  }
  return { status: response.status, headers: response.headers, text };
}

function mayRetryFailure(failure: NoAnswer, request: HttpRequest): boolean {
  if (failure.kind === 'too-large') return false;
  if (request.idempotent) return true;
  return failure.kind === 'network' && failure.errorCode !== undefined && NOT_SENT.has(failure.errorCode);
}

/** What fetch (or the body's read) threw, as a NoAnswer. */
function noAnswerOf(error: unknown, attempts: number, options: SendOptions): NoAnswer {
  // Duck-typed, not instanceof: fetch's errors may come from another realm (jest's sandbox, a vm).
  const name = fieldOf(error, 'name');
  if (name === 'TimeoutError' || name === 'AbortError') {
    return { kind: 'timeout', detail: `no answer within ${options.timeoutMs} ms`, attempts };
  }
  const errorCode = systemErrorCode(error);
  // Only the code and fetch's own generic text: an error's message may quote a header value.
  const detail = errorCode === undefined ? 'the request failed' : `the request failed with ${errorCode}`;
  return { kind: 'network', detail, attempts, errorCode };
}

/** The first system error code along the cause chain (fetch puts it on its error's cause). */
function systemErrorCode(error: unknown): string | undefined {
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

/** First backoff step; attempt n waits up to BASE_MS * 2^(n-1), capped at MAX_BACKOFF_MS. */
const BASE_MS = 250;
const MAX_BACKOFF_MS = 5_000;
/** The longest `Retry-After` honoured; a longer one is waited for this long only. */
export const MAX_RETRY_AFTER_MS = 30_000;

/**
 * How long to wait before the attempt after `attempt` (1-based): Relay's `Retry-After` if it sent
 * one (capped), otherwise exponential backoff with full jitter (a random share of the step), so
 * many dynos retrying at once do not arrive together.
 */
export function retryDelayMs(
  attempt: number,
  retryAfter: string | null,
  random: () => number,
  now = Date.now(),
): number {
  const asked = parseRetryAfterMs(retryAfter, now);
  if (asked !== undefined) return Math.min(asked, MAX_RETRY_AFTER_MS);
  const step = Math.min(MAX_BACKOFF_MS, BASE_MS * 2 ** (attempt - 1));
  return Math.floor(Math.max(0, Math.min(1, random())) * step);
}

/** `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP-date names its day and month; this also keeps Date.parse from reading "-5" as a year.
  if (trimmed.length > 64 || !/[A-Za-z]{3}/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * A fetch Response's body as UTF-8 text, or undefined (and the stream cancelled) as soon as it
 * passes `maxBytes`: a misbehaving or hostile server cannot make the process buffer more.
 */
async function readCappedBody(response: Response, maxBytes: number): Promise<string | undefined> {
  if (response.body === null) return '';
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    await response.body.cancel();
    return undefined;
  }
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
