import { InMemoryIdempotencyStore } from './in-memory-idempotency-store';
import type { IdempotencyStore } from './idempotency-store';
import { RedisBus } from './redis-bus';
import { RedisIdempotencyStore } from './redis-idempotency-store';
import type { SessionBus } from './session-bus';

/** The idempotency store that goes with `bus`: in Redis (on the bus's connection) for a Redis bus, else in memory. */
export function createIdempotencyStore<T = unknown>(bus: SessionBus): IdempotencyStore<T> {
  return bus instanceof RedisBus ? new RedisIdempotencyStore<T>(bus.client) : new InMemoryIdempotencyStore<T>();
}
