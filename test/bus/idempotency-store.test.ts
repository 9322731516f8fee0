import { createClient } from 'redis';
import {
  createIdempotencyStore,
  IdempotencyKeyError,
  InMemoryIdempotencyStore,
  MAX_IDEMPOTENCY_KEY_CHARS,
  RedisIdempotencyStore,
  type IdempotencyClaim,
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

/** A clock the test moves by hand: leases are timed by it, never by waiting. */
const clock = { now: 1_000_000 };
const now = () => clock.now;

const kinds: Array<{ name: string; make: () => Promise<IdempotencyStore<Answer>> }> = [
  {
    name: 'in memory',
    make: () =>
      Promise.resolve(createIdempotencyStore<Answer>(new InProcessBus({ logger: memoryLogger().logger }), { now })),
  },
];
if (withRedis)
  kinds.push({ name: 'in Redis', make: async () => createIdempotencyStore<Answer>(await redisBus(), { now }) });

let keyCount = 0;
/** A key no other test used (the Redis store is shared by the file's tests). */
const freshKey = () => `transport:key-${++keyCount}-${Date.now()}`;
const FP = 'a'.repeat(64);
const OTHER_FP = 'b'.repeat(64);

/** The owner token of a claim that must be new. */
function ownerOf(claim: IdempotencyClaim<Answer>): string {
  if (claim.state !== 'new') throw new Error(`expected a new claim, got ${claim.state}`);
  return claim.owner;
}

describe.each(kinds)('the idempotency store, $name', ({ make }) => {
  it('answers a retry like the first request: new, then pending while it runs, then done with its answer', async () => {
    const store = await make();
    const key = freshKey();
    const owner = ownerOf(await store.claim(key, FP));
    expect(owner).toMatch(/^[0-9a-f]{32}$/);
    await expect(store.claim(key, FP)).resolves.toEqual({ state: 'pending' });
    await expect(store.complete(key, owner, { status: 202, body: { delivered: 1 } })).resolves.toBe(true);
    await expect(store.claim(key, FP)).resolves.toEqual({
      state: 'done',
      answer: { status: 202, body: { delivered: 1 } },
    });
    await expect(store.claim(freshKey(), FP)).resolves.toMatchObject({ state: 'new' });
  });

  it('lets a retry run afresh after release (the first attempt failed before acting)', async () => {
    const store = await make();
    const key = freshKey();
    const owner = ownerOf(await store.claim(key, FP));
    await expect(store.release(key, owner)).resolves.toBe(true);
    await expect(store.claim(key, FP)).resolves.toMatchObject({ state: 'new' });
  });

  it('lets a retry take the key over once the lease ran out, and keeps nothing the first owner sends late', async () => {
    const store = await make();
    const key = freshKey();
    const first = ownerOf(await store.claim(key, FP, { leaseMs: 30_000 }));
    clock.now += 29_999;
    await expect(store.claim(key, FP)).resolves.toEqual({ state: 'pending' });
    clock.now += 1;
    const second = ownerOf(await store.claim(key, FP, { leaseMs: 30_000 }));
    expect(second).not.toBe(first);
    // The first owner's late answer and release change nothing: the key is the second's.
    await expect(store.complete(key, first, { status: 202, body: { delivered: 1 } })).resolves.toBe(false);
    await expect(store.release(key, first)).resolves.toBe(false);
    await expect(store.claim(key, FP)).resolves.toEqual({ state: 'pending' });
    await expect(store.complete(key, second, { status: 404, body: { delivered: 0 } })).resolves.toBe(true);
    await expect(store.complete(key, first, { status: 202, body: { delivered: 1 } })).resolves.toBe(false);
    await expect(store.release(key, first)).resolves.toBe(false);
    await expect(store.claim(key, FP)).resolves.toEqual({
      state: 'done',
      answer: { status: 404, body: { delivered: 0 } },
    });
  });

  it('keeps the answer of an owner that finishes after its lease when no retry took the key', async () => {
    const store = await make();
    const key = freshKey();
    const owner = ownerOf(await store.claim(key, FP));
    clock.now += 60_000;
    await expect(store.complete(key, owner, { status: 202, body: { delivered: 1 } })).resolves.toBe(true);
    await expect(store.claim(key, FP)).resolves.toMatchObject({ state: 'done' });
  });

  it('answers mismatch to a key claimed again with another fingerprint, pending or done', async () => {
    const store = await make();
    const key = freshKey();
    const owner = ownerOf(await store.claim(key, FP));
    await expect(store.claim(key, OTHER_FP)).resolves.toEqual({ state: 'mismatch' });
    clock.now += 60_000; // even once the lease ran out
    await expect(store.claim(key, OTHER_FP)).resolves.toEqual({ state: 'mismatch' });
    await store.complete(key, owner, { status: 202, body: { delivered: 1 } });
    await expect(store.claim(key, OTHER_FP)).resolves.toEqual({ state: 'mismatch' });
    await expect(store.claim(key, FP)).resolves.toMatchObject({ state: 'done' });
  });

  it('refuses an empty, overlong or non-string key, without repeating it', async () => {
    const store = await make();
    for (const key of ['', 'k'.repeat(MAX_IDEMPOTENCY_KEY_CHARS + 1), 42 as unknown as string]) {
      await expect(store.claim(key, FP)).rejects.toBeInstanceOf(IdempotencyKeyError);
    }
    await expect(store.claim('k'.repeat(MAX_IDEMPOTENCY_KEY_CHARS), FP)).resolves.toMatchObject({ state: 'new' });
  });

  it('refuses a fingerprint or owner that is not a short string', async () => {
    const store = await make();
    const key = freshKey();
    await expect(store.claim(key, 'f'.repeat(129))).rejects.toThrow(TypeError);
    await expect(store.complete(key, '', { status: 200, body: { delivered: 1 } })).rejects.toThrow(TypeError);
  });

  it('refuses to keep an answer over 16 KiB', async () => {
    const store = await make();
    const key = freshKey();
    const owner = ownerOf(await store.claim(key, FP));
    await expect(
      store.complete(key, owner, { status: 200, body: { delivered: 1, pad: 'x'.repeat(20_000) } as Answer['body'] }),
    ).rejects.toThrow(/at most 16384 bytes/);
  });
});

describe('the in-memory idempotency store', () => {
  it('forgets a key after its time to live', async () => {
    let now = 1_000;
    const store = new InMemoryIdempotencyStore<Answer>({ now: () => now });
    const owner = ownerOf(await store.claim('a', FP, { ttlMs: 100 }));
    await store.complete('a', owner, { status: 202, body: { delivered: 1 } }, 100);
    now += 99;
    await expect(store.claim('a', FP)).resolves.toMatchObject({ state: 'done' });
    now += 1;
    await expect(store.claim('a', FP)).resolves.toMatchObject({ state: 'new' });
  });

  it('keeps at most maxEntries keys, dropping expired ones first, then the oldest', async () => {
    let now = 0;
    const store = new InMemoryIdempotencyStore({ maxEntries: 3, now: () => now });
    await store.claim('short-lived', FP, { ttlMs: 10 });
    await store.claim('old', FP);
    await store.claim('middle', FP);
    now = 20;
    await store.claim('new-1', FP);
    expect(store.size).toBe(3);
    await expect(store.claim('old', FP)).resolves.toEqual({ state: 'pending' });
    await store.claim('new-2', FP);
    expect(store.size).toBe(3);
    // 'old' was claimed again above only as a lookup: it stayed the oldest entry, so it went first.
    await expect(store.claim('middle', FP)).resolves.toEqual({ state: 'pending' });
    await expect(store.claim('old', FP)).resolves.toMatchObject({ state: 'new' });
  });
});

(withRedis ? describe : describe.skip)('the Redis idempotency store', () => {
  it('stores keys as sha256 hashes with the time to live, never the caller key', async () => {
    const store = new RedisIdempotencyStore((await redisBus()).client, { prefix: 'idem-test' });
    await store.claim('caller-secret-key', FP, { ttlMs: 60_000 });
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
        createIdempotencyStore(await redisBus()).claim(key, FP),
        createIdempotencyStore(other).claim(key, FP),
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
      await expect(createIdempotencyStore(deadBus).claim('k', FP)).rejects.toMatchObject({
        code: BusErrorCode.UNAVAILABLE,
      });
    } finally {
      await deadBus.close();
    }
  });
});
