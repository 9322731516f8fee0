import { InProcessBus } from '../../src/bus/in-process-bus';
import { RedisBus } from '../../src/bus/redis-bus';
import { BusError, BusErrorCode, MAX_MESSAGE_BYTES, type SessionBus } from '../../src/bus/session-bus';
import { memoryLogger } from '../helpers/memory-logger';
import { redisTestsRun, startRedis, type PrivateRedis } from '../helpers/redis-server';

/** How to make a bus of one kind, and the state it has when it works. */
interface Implementation {
  name: string;
  ready: 'embedded' | 'ready';
  make: () => Promise<SessionBus>;
}

let redis: PrivateRedis | undefined;
const withRedis = redisTestsRun();
const opened: SessionBus[] = [];

const implementations: Implementation[] = [
  {
    name: 'InProcessBus',
    ready: 'embedded',
    make: () => Promise.resolve(new InProcessBus({ logger: memoryLogger().logger })),
  },
];
if (withRedis) {
  implementations.push({
    name: 'RedisBus',
    ready: 'ready',
    make: async () => {
      redis ??= await startRedis();
      const bus = new RedisBus({ url: redis.url, logger: memoryLogger().logger });
      await bus.whenReady();
      return bus;
    },
  });
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((bus) => bus.close()));
});
afterAll(() => redis?.stop());

/** A bus of the kind under test, closed after the test. */
async function open(implementation: Implementation): Promise<SessionBus> {
  const bus = await implementation.make();
  opened.push(bus);
  return bus;
}

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as BusError,
  );

describe.each(implementations)('the session bus contract: $name', (implementation) => {
  it('delivers a message to every handler of its topic, each with its own copy, and counts them', async () => {
    const bus = await open(implementation);
    const got: Array<{ status: string; tags: string[] }> = [];
    bus.subscribe('transport:a1', (data) => void got.push(data as { status: string; tags: string[] }));
    bus.subscribe('transport:a1', (data) => void got.push(data as { status: string; tags: string[] }));
    bus.subscribe('transport:b2', () => {
      throw new Error('another topic must not hear it');
    });
    const message = { status: 'assigned', tags: ['x'] };
    await expect(bus.publish('transport:a1', message)).resolves.toBe(2);
    expect(got).toEqual([message, message]);
    got[0]?.tags.push('changed by one handler');
    expect(got[1]?.tags).toEqual(['x']);
    expect(got[0]).not.toBe(message);
    expect(bus.state).toBe(implementation.ready);
  });

  it('answers 0 when no session listens on the topic', async () => {
    const bus = await open(implementation);
    await expect(bus.publish('nobody:here', { a: 1 })).resolves.toBe(0);
  });

  it('says whether a topic has subscribers, until the last one leaves', async () => {
    const bus = await open(implementation);
    const stop = bus.subscribe('transport:w1', () => undefined);
    const other = bus.subscribe('transport:w1', () => undefined);
    await expect(bus.hasSubscribers('transport:w1')).resolves.toBe(true);
    stop();
    await expect(bus.hasSubscribers('transport:w1')).resolves.toBe(true);
    other();
    other();
    await expect(bus.hasSubscribers('transport:w1')).resolves.toBe(false);
    for (const topic of ['nobody:here', '__proto__', 'constructor', 'toString'])
      await expect(bus.hasSubscribers(topic)).resolves.toBe(false);
    await expect(bus.hasSubscribers('a b')).rejects.toMatchObject({ code: BusErrorCode.BAD_TOPIC });
    await expect(bus.hasSubscribers(42 as unknown as string)).rejects.toMatchObject({ code: BusErrorCode.BAD_TOPIC });
    await bus.close();
    await expect(bus.hasSubscribers('transport:w1')).rejects.toMatchObject({ code: BusErrorCode.CLOSED });
  });

  it('stops delivering after unsubscribe, which is safe to call twice', async () => {
    const bus = await open(implementation);
    let calls = 0;
    const stop = bus.subscribe('t', () => void calls++);
    const other = bus.subscribe('t', () => void calls++);
    expect(bus.subscriptions).toBe(2);
    stop();
    stop();
    expect(bus.subscriptions).toBe(1);
    await expect(bus.publish('t', 1)).resolves.toBe(1);
    other();
    await expect(bus.publish('t', 2)).resolves.toBe(0);
    expect(calls).toBe(1);
    expect(bus.subscriptions).toBe(0);
  });

  it('does not count a handler that refuses the message (false) or throws, and still reaches the others', async () => {
    const bus = await open(implementation);
    const got: unknown[] = [];
    bus.subscribe('t', () => false);
    bus.subscribe('t', () => {
      throw new Error('handler bug');
    });
    bus.subscribe('t', (data) => void got.push(data));
    await expect(bus.publish('t', 'hello')).resolves.toBe(1);
    expect(got).toEqual(['hello']);
  });

  it('hands each handler the size of the message in bytes', async () => {
    const bus = await open(implementation);
    let seen = 0;
    bus.subscribe('t', (_data, bytes) => void (seen = bytes));
    await bus.publish('t', { text: 'é' });
    expect(seen).toBe(Buffer.byteLength(JSON.stringify({ text: 'é' })));
  });

  it('takes a message of exactly the size limit and refuses one byte more, saying what to do', async () => {
    const bus = await open(implementation);
    bus.subscribe('t', () => undefined);
    const fill = (bytes: number) => 'x'.repeat(bytes - 2); // the JSON string adds two quotes
    await expect(bus.publish('t', fill(MAX_MESSAGE_BYTES))).resolves.toBe(1);
    const error = await rejection(bus.publish('t', fill(MAX_MESSAGE_BYTES + 1)));
    expect(error).toBeInstanceOf(BusError);
    expect(error).toMatchObject({
      code: BusErrorCode.TOO_LARGE,
      message: expect.stringContaining(`at most ${MAX_MESSAGE_BYTES} bytes`),
    });
  });

  it.each([
    ['undefined', undefined],
    ['a function', () => 1],
    ['a BigInt', { n: BigInt(1) }],
  ])('refuses data that is not JSON: %s', async (_name, data) => {
    const bus = await open(implementation);
    await expect(bus.publish('t', data)).rejects.toMatchObject({ code: BusErrorCode.NOT_JSON });
  });

  it('refuses a cycle as not JSON', async () => {
    const bus = await open(implementation);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    await expect(bus.publish('t', cycle)).rejects.toMatchObject({ code: BusErrorCode.NOT_JSON });
  });

  it.each(['', 'a b', 'x'.repeat(201), 'émoji', 'new\nline', '*'])(
    'refuses the topic %j on subscribe and publish',
    async (topic) => {
      const bus = await open(implementation);
      expect(thrownBy(() => bus.subscribe(topic, () => undefined))).toMatchObject({ code: BusErrorCode.BAD_TOPIC });
      await expect(bus.publish(topic, 1)).rejects.toMatchObject({
        code: BusErrorCode.BAD_TOPIC,
        message: expect.stringContaining('A-Z a-z 0-9 : . _ -'),
      });
    },
  );

  it('refuses a topic that is not a string', async () => {
    const bus = await open(implementation);
    expect(() => bus.subscribe(42 as unknown as string, () => undefined)).toThrow(BusError);
  });

  it('is down after close: publishing rejects with CLOSED and handlers are gone', async () => {
    const bus = await open(implementation);
    bus.subscribe('t', () => undefined);
    await bus.close();
    expect(bus.state).toBe('down');
    expect(bus.subscriptions).toBe(0);
    await expect(bus.publish('t', 1)).rejects.toMatchObject({ code: BusErrorCode.CLOSED });
  });
});
