import { createClient } from 'redis';
import {
  createIdempotencyStore,
  IdempotencyKeyError,
  InMemoryIdempotencyStore,
  MAX_IDEMPOTENCY_KEY_CHARS,
  RedisIdempotencyStore,
  type IdempotencyStore,
} from '../../src/bus/idempotency';
import { InProcessBus } from '../../src/bus/in-process-bus';
import { RedisBus } from '../../src/bus/redis-bus';
import { BusErrorCode } from '../../src/bus/session-bus';
import { memoryLogger } from '../helpers/memory-logger';
import { redisTestsRun, startRedis, type PrivateRedis } from '../helpers/redis-server';

interface Answer {
  status: number;
  body: { delivered: number };
}

let redis: PrivateRedis | undefined;
let bus: RedisBus | undefined;
const withRedis = redisTestsRun();

async function redisBus(): Promise<RedisBus> {
  redis ??= await startRedis();
  bus ??= new RedisBus({ url: redis.url, logger: memoryLogger().logger, maxReconnectDelayMs: 100 });
  await bus.whenReady();
  return bus;
}

afterAll(async () => {
  await bus?.close();
  await redis?.stop();
});

const kinds: Array<{ name: string; make: () => Promise<IdempotencyStore<Answer>> }> = [
  {
    name: 'in memory',
    make: () => Promise.resolve(createIdempotencyStore<Answer>(new InProcessBus({ logger: memoryLogger().logger }))),
  },
];
if (withRedis) kinds.push({ name: 'in Redis', make: async () => createIdempotencyStore<Answer>(await redisBus()) });

let keyCount = 0;
/** A key no other test used (the Redis store is shared by the file's tests). */
const freshKey = () => `transport:key-${++keyCount}-${Date.now()}`;

describe.each(kinds)('the idempotency store, $name', ({ make }) => {
  it('answers a retry like the first request: new, then pending while it runs, then done with its answer', async () => {
    const store = await make();
    const key = freshKey();
    await expect(store.claim(key)).resolves.toEqual({ state: 'new' });
    await expect(store.claim(key)).resolves.toEqual({ state: 'pending' });
    await store.complete(key, { status: 202, body: { delivered: 1 } });
    await expect(store.claim(key)).resolves.toEqual({ state: 'done', answer: { status: 202, body: { delivered: 1 } } });
    await expect(store.claim(freshKey())).resolves.toEqual({ state: 'new' });
  });

  it('lets a retry run afresh after release (the first attempt failed before acting)', async () => {
    const store = await make();
    const key = freshKey();
    await store.claim(key);
    await store.release(key);
    await expect(store.claim(key)).resolves.toEqual({ state: 'new' });
  });

  it('refuses an empty, overlong or non-string key, without repeating it', async () => {
    const store = await make();
    for (const key of ['', 'k'.repeat(MAX_IDEMPOTENCY_KEY_CHARS + 1), 42 as unknown as string]) {
      await expect(store.claim(key)).rejects.toBeInstanceOf(IdempotencyKeyError);
    }
    await expect(store.claim('k'.repeat(MAX_IDEMPOTENCY_KEY_CHARS))).resolves.toEqual({ state: 'new' });
  });

  it('refuses to keep an answer over 16 KiB', async () => {
    const store = await make();
    const key = freshKey();
    await store.claim(key);
    await expect(
      store.complete(key, { status: 200, body: { delivered: 1, pad: 'x'.repeat(20_000) } as Answer['body'] }),
    ).rejects.toThrow(/at most 16384 bytes/);
  });
});

describe('the in-memory idempotency store', () => {
  it('forgets a key after its time to live', async () => {
    let now = 1_000;
    const store = new InMemoryIdempotencyStore<Answer>({ now: () => now });
    await store.claim('a', 100);
    await store.complete('a', { status: 202, body: { delivered: 1 } }, 100);
    now += 99;
    await expect(store.claim('a')).resolves.toMatchObject({ state: 'done' });
    now += 1;
    await expect(store.claim('a')).resolves.toEqual({ state: 'new' });
  });

  it('keeps at most maxEntries keys, dropping expired ones first, then the oldest', async () => {
    let now = 0;
    const store = new InMemoryIdempotencyStore({ maxEntries: 3, now: () => now });
    await store.claim('short-lived', 10);
    await store.claim('old');
    await store.claim('middle');
    now = 20;
    await store.claim('new-1');
    expect(store.size).toBe(3);
    await expect(store.claim('old')).resolves.toEqual({ state: 'pending' });
    await store.claim('new-2');
    expect(store.size).toBe(3);
    // 'old' was claimed again above only as a lookup: it stayed the oldest entry, so it went first.
    await expect(store.claim('middle')).resolves.toEqual({ state: 'pending' });
    await expect(store.claim('old')).resolves.toEqual({ state: 'new' });
  });
});

(withRedis ? describe : describe.skip)('the Redis idempotency store', () => {
  it('stores keys as sha256 hashes with the time to live, never the caller key', async () => {
    const store = new RedisIdempotencyStore((await redisBus()).client, 'idem-test');
    await store.claim('caller-secret-key', 60_000);
    const raw = createClient({ url: redis?.url });
    await raw.connect();
    try {
      const keys = await raw.keys('idem-test:*');
      expect(keys).toEqual([expect.stringMatching(/^idem-test:[0-9a-f]{64}$/)]);
      expect(keys.join()).not.toContain('caller-secret-key');
      const ttl = await raw.pTTL(keys[0] ?? '');
      expect(ttl).toBeGreaterThan(55_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    } finally {
      await raw.close();
    }
  });

  it('two dynos given the same retry: only one gets "new"', async () => {
    const other = new RedisBus({ url: (redis as PrivateRedis).url, logger: memoryLogger().logger });
    try {
      await other.whenReady();
      const key = freshKey();
      const claims = await Promise.all([
        createIdempotencyStore(await redisBus()).claim(key),
        createIdempotencyStore(other).claim(key),
      ]);
      expect(claims.map((claim) => claim.state).sort()).toEqual(['new', 'pending']);
    } finally {
      await other.close();
    }
  });

  it('rejects with UNAVAILABLE at once while Redis is down', async () => {
    const dead = await startRedis();
    const deadBus = new RedisBus({ url: dead.url, logger: memoryLogger().logger, maxReconnectDelayMs: 100 });
    try {
      await deadBus.whenReady();
      await dead.kill();
      await deadBus.whenState('reconnecting');
      await expect(createIdempotencyStore(deadBus).claim('k')).rejects.toMatchObject({
        code: BusErrorCode.UNAVAILABLE,
      });
    } finally {
      await deadBus.close();
    }
  });
});
