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

  it("tells a process whether another process's sessions are subscribed, from a registry entry that expires", async () => {
    const [a, b] = [open(), open(undefined, { waitingTtlMs: 6_000 })];
    await Promise.all([a.whenReady(), b.whenReady()]);
    const stop = b.subscribe('transport:r2', () => undefined);
    b.subscribe('transport:r3', () => undefined);
    // b's own round trip: once it is answered, b's registry entries (sent before it) are in Redis.
    await b.hasSubscribers('transport:none');
    await expect(a.hasSubscribers('transport:r2')).resolves.toBe(true);
    const raw = createClient({ url: redis.url });
    await raw.connect();
    try {
      const ttl = await raw.pTTL('relay-bus:waiting:transport:r2');
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(6_000);
      stop();
      await b.hasSubscribers('transport:none');
      await expect(a.hasSubscribers('transport:r2')).resolves.toBe(false);
      await expect(a.hasSubscribers('transport:r3')).resolves.toBe(true);
      // Closing b removes its entries at once; a dyno that dies leaves them to expire.
      await b.close();
      await expect(a.hasSubscribers('transport:r3')).resolves.toBe(false);
      expect(await raw.keys('relay-bus:waiting:*')).toEqual([]);
    } finally {
      await raw.close();
    }
  });

  it('enters at most maxWaitingTopics topics in the registry, saying so once, and subscriptions still work', async () => {
    const logs = memoryLogger();
    const [a, b] = [open(), open(logs.logger, { maxWaitingTopics: 2 })];
    await Promise.all([a.whenReady(), b.whenReady()]);
    const heard: unknown[] = [];
    for (const topic of ['t:1', 't:2', 't:3', 't:4']) b.subscribe(topic, (data) => void heard.push(data));
    await b.hasSubscribers('t:none');
    const seen = await Promise.all(['t:1', 't:2', 't:3', 't:4'].map((topic) => a.hasSubscribers(topic)));
    expect(seen).toEqual([true, true, false, false]);
    await expect(b.hasSubscribers('t:3')).resolves.toBe(true);
    await expect(a.publish('t:3', 'still heard')).resolves.toBe(1);
    expect(heard).toEqual(['still heard']);
    expect(
      logs.lines().filter((line) => String(line.msg).startsWith('the registry of subscribed topics is full')),
    ).toEqual([expect.objectContaining({ level: 'warn', maxWaitingTopics: 2 })]);
  });

  it('enters a topic kept out by maxWaitingTopics as soon as an entered topic leaves, up to the cap', async () => {
    const logs = memoryLogger();
    const [a, b] = [open(), open(logs.logger, { maxWaitingTopics: 2 })];
    await Promise.all([a.whenReady(), b.whenReady()]);
    const topics = ['kept:1', 'kept:2', 'kept:3', 'kept:4', 'kept:5'];
    const stop = new Map(topics.slice(0, 4).map((topic) => [topic, b.subscribe(topic, () => undefined)]));
    const seenByA = async () => {
      await b.hasSubscribers('kept:none'); // b's round trip: what b sent before it is in Redis
      return Promise.all(topics.map((topic) => a.hasSubscribers(topic)));
    };
    expect(await seenByA()).toEqual([true, true, false, false, false]);

    // kept:1 leaves: kept:3, the first kept out, takes its place; kept:4 still waits for room.
    stop.get('kept:1')!();
    expect(await seenByA()).toEqual([false, true, true, false, false]);

    // A kept-out topic that leaves is not entered later; once none is kept out, a new topic enters at once.
    stop.get('kept:4')!();
    stop.get('kept:2')!();
    expect(await seenByA()).toEqual([false, false, true, false, false]);
    b.subscribe('kept:5', () => undefined);
    expect(await seenByA()).toEqual([false, false, true, false, true]);

    // Full again: a topic is kept out, and that is said again (once per time topics start being kept out).
    b.subscribe('kept:6', () => undefined);
    await b.hasSubscribers('kept:none');
    await expect(a.hasSubscribers('kept:6')).resolves.toBe(false);
    expect(
      logs.lines().filter((line) => String(line.msg).startsWith('the registry of subscribed topics is full')),
    ).toHaveLength(2);
  });

  it('sends one registry refresh at a time: ticks while Redis has not answered it are skipped, and its wait is bounded', async () => {
    const logs = memoryLogger('debug');
    // A refresh every 100 ms; one that Redis has not answered after 150 ms has timed out.
    const bus = open(logs.logger, { waitingTtlMs: 300, publishTimeoutMs: 150 });
    await bus.whenReady();
    bus.subscribe('slow:1', () => undefined);
    await bus.hasSubscribers('slow:none');
    const raw = createClient({ url: redis.url });
    const monitor = raw.duplicate();
    await Promise.all([raw.connect(), monitor.connect()]);
    // Every command Redis runs, in the order it runs them.
    const ran: string[] = [];
    let onRan: () => void = () => undefined;
    await monitor.monitor((line) => {
      ran.push(line);
      onRan();
    });
    const until = (done: () => boolean) =>
      new Promise<void>((resolve) => {
        onRan = () => void (done() && resolve());
        onRan();
      });
    // MONITOR shows command names as the client sent them (node-redis: upper case).
    const at = (marker: string) => ran.findIndex((line) => line.toLowerCase().includes(`"echo" "${marker}"`));
    const isRefresh = (line: string) => line.toLowerCase().includes('"pexpire" "relay-bus:waiting:slow:1"');
    let fallback: NodeJS.Timeout | undefined;
    try {
      // Redis holds every write from now on (reads are still answered): the refresh sent next waits.
      await raw.sendCommand(['CLIENT', 'PAUSE', '60000', 'WRITE']);
      await raw.echo('paused');
      await Promise.race([
        Promise.all([
          logs.logged('a registry refresh got no answer from Redis in time; the next refreshes wait for it'),
          logs.logged(
            'skipped a registry refresh: Redis has not answered the previous one',
            (line) => line.skipped === 3,
          ),
        ]),
        // Only a bus that does not skip gets here: it sent a refresh on each of these 30 ticks.
        new Promise((resolve) => (fallback = setTimeout(resolve, 3_000))),
      ]);
      await raw.sendCommand(['CLIENT', 'UNPAUSE']);
      // Redis runs the writes it held before it answers UNPAUSE: they all come before this marker.
      await raw.echo('unpaused');
      await until(() => at('unpaused') >= 0);
      expect(ran.slice(at('paused'), at('unpaused')).filter(isRefresh)).toHaveLength(1);
      expect(logs.lines()).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ level: 'debug', skipped: 3 }),
          expect.objectContaining({
            level: 'warn',
            timeoutMs: 150,
            msg: 'a registry refresh got no answer from Redis in time; the next refreshes wait for it',
          }),
        ]),
      );
      // Once that refresh is answered, the next tick refreshes again.
      await until(() => ran.slice(at('unpaused')).some(isRefresh));
    } finally {
      clearTimeout(fallback);
      await raw.sendCommand(['CLIENT', 'UNPAUSE']);
      await Promise.all([raw.close(), monitor.close()]);
    }
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
