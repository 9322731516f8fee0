import { createClient } from 'redis';
import { RedisBus } from '../../src/bus/redis-bus';
import { BusErrorCode, isBusUnavailable } from '../../src/bus/session-bus';
import { memoryLogger } from '../helpers/memory-logger';
import { redisTestsRun, startRedis, type PrivateRedis } from '../helpers/redis-server';

const describeRedis = redisTestsRun() ? describe : describe.skip;

describeRedis('the Redis bus', () => {
  let redis: PrivateRedis;
  const buses: RedisBus[] = [];

  beforeAll(async () => {
    redis = await startRedis({ password: 'p4ssw0rd-never-logged' });
  });
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.close()));
  });
  afterAll(() => redis.stop());

  function open(
    log = memoryLogger().logger,
    options: Partial<ConstructorParameters<typeof RedisBus>[0]> = {},
  ): RedisBus {
    const bus = new RedisBus({ url: redis.url, logger: log, maxReconnectDelayMs: 100, ...options });
    buses.push(bus);
    return bus;
  }

  it('counts the sessions of every process sharing the Redis, not the processes', async () => {
    const [a, b, c] = [open(), open(), open()];
    await Promise.all([a.whenReady(), b.whenReady(), c.whenReady()]);
    const heard: string[] = [];
    a.subscribe('transport:r1', () => void heard.push('a'));
    b.subscribe('transport:r1', () => void heard.push('b1'));
    b.subscribe('transport:r1', () => void heard.push('b2'));
    c.subscribe('transport:other', () => void heard.push('c'));
    await expect(c.publish('transport:r1', { status: 'assigned' })).resolves.toBe(3);
    expect(heard.sort()).toEqual(['a', 'b1', 'b2']);
  });

  it('logs host:port and state changes, never the URL or its password', async () => {
    const logs = memoryLogger('debug');
    const bus = open(logs.logger);
    await bus.whenReady();
    await bus.close();
    expect(logs.text()).toContain(`127.0.0.1:${redis.port}`);
    expect(logs.text()).not.toContain('p4ssw0rd');
    expect(logs.lines().map((line) => line.msg)).toEqual(
      expect.arrayContaining(['session bus connected to Redis', 'session bus closed']),
    );
  });

  it('drops, logs and survives messages on its channel that it did not send, then delivers the next good one', async () => {
    const logs = memoryLogger();
    const bus = open(logs.logger);
    await bus.whenReady();
    const got: unknown[] = [];
    bus.subscribe('t', (data) => void got.push(data));
    const raw = createClient({ url: redis.url });
    await raw.connect();
    try {
      const hostile = [
        'not json',
        '{"id":"1","from":"2","topic":"t"}',
        '{"id":"zz","from":"2","topic":"t","data":1}',
        '{"id":"1","from":"2","topic":"bad topic","data":1}',
        `{"id":"1","from":"2","topic":"t","data":"${'x'.repeat(200_000)}"}`,
        '[1,2]',
        '{"__proto__":{"polluted":true},"id":"1","from":"2","topic":"t"}',
      ];
      for (const message of hostile) await raw.publish('relay-bus:all', message);
      await raw.publish('relay-bus:reply:0000', 'not a count');
      await expect(bus.publish('t', { ok: true })).resolves.toBe(1);
    } finally {
      await raw.close();
    }
    expect(got).toEqual([{ ok: true }]);
    const drops = logs
      .lines()
      .filter((line) => line.msg === 'dropped a bus message from Redis that this bus did not send');
    expect(drops.length).toBeGreaterThanOrEqual(7);
    expect(logs.text()).not.toContain('xxxxxxxxxx');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('while Redis is down: publish rejects fast with UNAVAILABLE, nothing crashes; after it is back, delivery works again', async () => {
    const logs = memoryLogger();
    const bus = open(logs.logger);
    await bus.whenReady();
    const got: unknown[] = [];
    bus.subscribe('transport:r9', (data) => void got.push(data));
    await expect(bus.publish('transport:r9', 'before')).resolves.toBe(1);

    await redis.kill();
    await bus.whenState('reconnecting');
    const startedAt = Date.now();
    const error = await bus.publish('transport:r9', 'during').catch((err: unknown) => err);
    expect(Date.now() - startedAt).toBeLessThan(500);
    expect(isBusUnavailable(error)).toBe(true);
    expect(error).toMatchObject({
      code: BusErrorCode.UNAVAILABLE,
      message: expect.stringContaining(`127.0.0.1:${redis.port}`),
    });
    expect((error as Error).message).not.toContain('p4ssw0rd');

    await redis.restart();
    await bus.whenReady();
    await expect(bus.publish('transport:r9', 'after')).resolves.toBe(1);
    expect(got).toEqual(['before', 'after']);
    const changes = logs
      .lines()
      .filter((line) => typeof line.state === 'string')
      .map((line) => line.state);
    // Each change of state logged once: however many reconnection attempts failed in between.
    expect(changes).toEqual(['ready', 'reconnecting', 'ready']);
  }, 30_000);

  it('a publish that cannot get a count from a process in time resolves with what it has', async () => {
    const bus = open(memoryLogger().logger, { ackTimeoutMs: 200 });
    await bus.whenReady();
    // A bare subscriber on the bus channel: Redis counts it as a receiver, but it never answers.
    const mute = createClient({ url: redis.url });
    await mute.connect();
    await mute.subscribe('relay-bus:all', () => undefined);
    try {
      bus.subscribe('t', () => undefined);
      const startedAt = Date.now();
      await expect(bus.publish('t', 1)).resolves.toBe(1);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(150);
    } finally {
      await mute.close();
    }
  });

  it('is "connecting" and refuses publishes with UNAVAILABLE while it never reached Redis', async () => {
    const dead = await startRedis();
    await dead.stop();
    const bus = new RedisBus({ url: dead.url, logger: memoryLogger().logger, maxReconnectDelayMs: 100 });
    buses.push(bus);
    expect(bus.state).toBe('connecting');
    await expect(bus.publish('t', 1)).rejects.toMatchObject({ code: BusErrorCode.UNAVAILABLE });
  });
});
