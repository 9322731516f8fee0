import {
  DEFAULT_IDEMPOTENCY_TTL_MS,
  encodeAnswer,
  hashIdempotencyKey,
  type IdempotencyClaim,
  type IdempotencyStore,
} from './idempotency-store';

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
