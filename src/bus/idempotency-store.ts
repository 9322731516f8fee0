import { createHash } from 'node:crypto';

/** What a store says about a key when a request claims it. */
export type IdempotencyClaim<T> =
  /** The first request with this key: handle it, then `complete` (or `release` if it failed). */
  | { state: 'new' }
  /** The first request is still being handled (on this or another dyno): answer 409, the caller retries. */
  | { state: 'pending' }
  /** Handled already: answer with what the first request answered. */
  | { state: 'done'; answer: T };

/**
 * Remembers webhook `Idempotency-Key`s, so that a retried request is answered like the first
 * instead of acting twice (Stripe's convention). In memory for one dyno; in Redis when REDIS_URL
 * is set, so a retry is recognised whichever dyno it hits.
 *
 * @example
 * const claim = await store.claim(`transport:${header}`)
 * if (claim.state === 'done') return reply.code(claim.answer.status).send(claim.answer.body)
 * if (claim.state === 'pending') return reply.code(409).send({ error: 'a request with this key is in progress' })
 * const answer = await handle(request)
 * await store.complete(`transport:${header}`, answer)
 */
export interface IdempotencyStore<T = unknown> {
  /** Claims `key` for `ttlMs` (default 10 min). Keys are caller input: 1 to 512 characters, hashed before use. */
  claim(key: string, ttlMs?: number): Promise<IdempotencyClaim<T>>;
  /** Stores the answer of the request that claimed `key`; later claims get it until `ttlMs` passes. */
  complete(key: string, answer: T, ttlMs?: number): Promise<void>;
  /** Forgets `key` (its request failed before acting): a retry will be handled afresh. */
  release(key: string): Promise<void>;
}

/** Stripe keeps keys 24 h; a webhook sender retries within minutes, and memory is bounded. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 10 * 60 * 1000;
export const MAX_IDEMPOTENCY_KEY_CHARS = 512;
/** Largest answer kept per key, in bytes of JSON. */
export const MAX_IDEMPOTENCY_ANSWER_BYTES = 16 * 1024;

/** A key that cannot be used: empty, too long, or not a string. */
export class IdempotencyKeyError extends Error {
  readonly code = 'ERR_IDEMPOTENCY_KEY';
  constructor(message: string) {
    super(message);
    this.name = 'IdempotencyKeyError';
  }
}

/** `{done: true, answer}` as JSON, refused (RangeError) over {@link MAX_IDEMPOTENCY_ANSWER_BYTES}. */
export function encodeAnswer(answer: unknown): string {
  const text = JSON.stringify({ done: true, answer });
  if (Buffer.byteLength(text) > MAX_IDEMPOTENCY_ANSWER_BYTES) {
    throw new RangeError(
      `an idempotent answer may hold at most ${MAX_IDEMPOTENCY_ANSWER_BYTES} bytes of JSON: store a status and a short body`,
    );
  }
  return text;
}

/** sha256 of a checked key, in hex: a caller's key is never used (nor stored, nor logged) as given. */
export function hashIdempotencyKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_CHARS) {
    const got = typeof key === 'string' ? `${key.length} characters` : typeof key;
    throw new IdempotencyKeyError(
      `an idempotency key must be 1 to ${MAX_IDEMPOTENCY_KEY_CHARS} characters (a UUID is typical), got ${got}`,
    );
  }
  return createHash('sha256').update(key).digest('hex');
}
