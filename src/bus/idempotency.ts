/**
 * Webhook `Idempotency-Key`s: the store contract, the in-memory store for one process, the Redis
 * store shared by every dyno, and `createIdempotencyStore`, which picks the one that goes with the bus.
 */
import type { RedisClientType } from 'redis';
import { sha256 } from '../util';
import { RedisBus, withRedisTimeout } from './redis-bus';
import { BusError, BusErrorCode, type SessionBus } from './session-bus';

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
  return sha256(key).toString('hex');
}

/** The idempotency store that goes with `bus`: in Redis (on the bus's connection) for a Redis bus, else in memory. */
export function createIdempotencyStore<T = unknown>(bus: SessionBus): IdempotencyStore<T> {
  return bus instanceof RedisBus ? new RedisIdempotencyStore<T>(bus.client) : new InMemoryIdempotencyStore<T>();
}

interface Entry<T> {
  done: boolean;
  answer?: T;
  expiresAt: number;
}

export interface InMemoryIdempotencyStoreOptions {
  /** Most keys kept; at the limit, expired keys go first, then the oldest (default 10,000). */
  maxEntries?: number;
  /** The clock, for tests. */
  now?: () => number;
}

/** The store for one process (the default with no REDIS_URL): bounded in entries and time. */
export class InMemoryIdempotencyStore<T = unknown> implements IdempotencyStore<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor({ maxEntries = 10_000, now = Date.now }: InMemoryIdempotencyStoreOptions = {}) {
    this.maxEntries = maxEntries;
    this.now = now;
  }

  get size(): number {
    return this.entries.size;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async like the Redis store: a bad key is a rejection
  async claim(key: string, ttlMs = DEFAULT_IDEMPOTENCY_TTL_MS): Promise<IdempotencyClaim<T>> {
    const hash = hashIdempotencyKey(key);
    const entry = this.live(hash);
    if (entry !== undefined) return entry.done ? { state: 'done', answer: entry.answer as T } : { state: 'pending' };
    this.makeRoom();
    this.entries.set(hash, { done: false, expiresAt: this.now() + ttlMs });
    return { state: 'new' };
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- see claim
  async complete(key: string, answer: T, ttlMs = DEFAULT_IDEMPOTENCY_TTL_MS): Promise<void> {
    const hash = hashIdempotencyKey(key);
    const { answer: copy } = JSON.parse(encodeAnswer(answer)) as { answer: T };
    // Re-inserted, so that insertion order stays the order of expiry for eviction.
    this.entries.delete(hash);
    this.makeRoom();
    this.entries.set(hash, { done: true, answer: copy, expiresAt: this.now() + ttlMs });
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- see claim
  async release(key: string): Promise<void> {
    this.entries.delete(hashIdempotencyKey(key));
  }

  private live(hash: string): Entry<T> | undefined {
    const entry = this.entries.get(hash);
    if (entry === undefined || entry.expiresAt > this.now()) return entry;
    this.entries.delete(hash);
    return undefined;
  }

  private makeRoom(): void {
    if (this.entries.size < this.maxEntries) return;
    const now = this.now();
    for (const [hash, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(hash);
    for (const hash of this.entries.keys()) {
      if (this.entries.size < this.maxEntries) break;
      this.entries.delete(hash);
    }
  }
}

const PENDING = '{"done":false}';

/** A Redis command that takes longer than this counts as Redis being unreachable (503), like a refused one. */
const COMMAND_TIMEOUT_MS = 2_000;

/**
 * The store shared by every dyno, in the bus's Redis (it uses the bus's publishing connection):
 * `SET key pending NX PX ttl` claims a key atomically, so two dynos given the same retry cannot
 * both handle it. Keys are `<prefix>:<sha256 of the caller's key>`. While Redis is unreachable,
 * every call rejects at once with BusError UNAVAILABLE (answer 503; the sender retries).
 */
export class RedisIdempotencyStore<T = unknown> implements IdempotencyStore<T> {
  constructor(
    private readonly client: RedisClientType,
    private readonly prefix = 'relay-idem',
  ) {}

  async claim(key: string, ttlMs = DEFAULT_IDEMPOTENCY_TTL_MS): Promise<IdempotencyClaim<T>> {
    const redisKey = this.redisKey(key);
    // Twice at most: a key may expire between a refused SET and the GET that reads it.
    for (let attempt = 0; attempt < 2; attempt++) {
      const set = await this.run(() =>
        this.client.set(redisKey, PENDING, { condition: 'NX', expiration: { type: 'PX', value: ttlMs } }),
      );
      if (set === 'OK') return { state: 'new' };
      const stored = await this.run(() => this.client.get(redisKey));
      if (stored === null) continue;
      return readClaim<T>(stored);
    }
    return { state: 'pending' };
  }

  async complete(key: string, answer: T, ttlMs = DEFAULT_IDEMPOTENCY_TTL_MS): Promise<void> {
    const text = encodeAnswer(answer);
    const redisKey = this.redisKey(key);
    await this.run(() => this.client.set(redisKey, text, { expiration: { type: 'PX', value: ttlMs } }));
  }

  async release(key: string): Promise<void> {
    const redisKey = this.redisKey(key);
    await this.run(() => this.client.del(redisKey));
  }

  private redisKey(key: string): string {
    return `${this.prefix}:${hashIdempotencyKey(key)}`;
  }

  private async run<R>(command: () => Promise<R>): Promise<R> {
    try {
      return await withRedisTimeout(command(), COMMAND_TIMEOUT_MS);
    } catch (error) {
      throw new BusError(
        BusErrorCode.UNAVAILABLE,
        'the idempotency store cannot reach Redis: try again shortly; it reconnects by itself',
        { cause: error },
      );
    }
  }
}

/** A stored value; anything unreadable (another app's key under the same prefix) counts as pending, never as an answer. */
function readClaim<T>(stored: string): IdempotencyClaim<T> {
  try {
    const value = JSON.parse(stored) as { done?: unknown; answer?: T };
    return value.done === true ? { state: 'done', answer: value.answer as T } : { state: 'pending' };
  } catch {
    return { state: 'pending' };
  }
}
