import type { RedisClientType } from 'redis';
import { BusError, BusErrorCode } from './bus-error';
import { withRedisTimeout } from './redis-bus';
import {
  DEFAULT_IDEMPOTENCY_TTL_MS,
  encodeAnswer,
  hashIdempotencyKey,
  type IdempotencyClaim,
  type IdempotencyStore,
} from './idempotency-store';

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
