import { createWorkflowServer, RedisBus, type SessionBus, type WorkflowServer } from '../../src';
import { routes } from '../../src/routes';
import { simulate, type RelaySimulator } from '../../src/testing';
import * as transport from '../../src/workflows/transport';
import { memoryLogger } from '../helpers/memory-logger';
import { redisTestsRun, startRedis, type PrivateRedis } from '../helpers/redis-server';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

const withRedis = redisTestsRun();
const SECRET = 'test-secret-0123456789';
const AUTH = { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' };

/** Everything jest can fake but the clock: timers, sockets and Redis run in real time, `Date` is moved by hand. */
const ALL_BUT_DATE = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
] as const;

/** The request id the workflow speaks when no dispatch system is set ("3 f 9 a 1 c"). */
async function spokenRequestId(sim: RelaySimulator): Promise<string> {
  const said = await sim.waitFor(
    (frame) => frame._type === 'wf_api_say_request' && String(frame.text).includes('request number is'),
  );
  const match = /request number is ([0-9a-f ]+)\.$/.exec(String(said.text));
  if (match?.[1] === undefined) throw new Error(`no request id in ${String(said.text)}`);
  return match[1].replaceAll(' ', '');
}

(withRedis ? describe : describe.skip)('POST /hooks/transport/:requestId on two dynos sharing a Redis', () => {
  let redis: PrivateRedis;
  let proxy: TcpProxy;
  const servers: WorkflowServer[] = [];

  beforeAll(async () => {
    redis = await startRedis();
  });
  beforeEach(async () => {
    proxy = await startTcpProxy(redis.port);
  });
  afterEach(async () => {
    proxy.release();
    await Promise.all(servers.splice(0).map((server) => server.close(0)));
    await proxy.close();
  });
  afterAll(() => redis.stop());

  it("lets a retry on another dyno run the update once the first dyno's lease ran out, and keeps the retry's answer", async () => {
    jest.useFakeTimers({ doNotFake: [...ALL_BUT_DATE] });
    try {
      // A claims the key and then hangs in its publish, as a dyno that froze or died mid-request.
      const logsA = memoryLogger();
      const inner = new RedisBus({ url: redis.url, logger: logsA.logger });
      let publishing: () => void = () => undefined;
      const claimed = new Promise<void>((resolve) => (publishing = resolve));
      let finish: (delivered: number) => void = () => undefined;
      const stuck = new Promise<number>((resolve) => (finish = resolve));
      const hung = Object.assign(Object.create(inner) as SessionBus, {
        publish: () => {
          publishing();
          return stuck;
        },
      });
      const a = createWorkflowServer({ logger: logsA.logger, bus: hung, config: { webhookSecret: SECRET }, routes });
      servers.push(a);
      const b = dyno(redis.url);
      await Promise.all([inner.whenReady(), b.bus.whenReady()]);
      const post = (server: WorkflowServer) =>
        server.inject({
          method: 'POST',
          url: '/hooks/transport/a1b2c3',
          payload: JSON.stringify({ status: 'arriving' }),
          headers: { ...AUTH, 'idempotency-key': 'dispatch-1' },
        });

      const first = post(a);
      await claimed;
      const during = await post(b.server);
      jest.setSystemTime(Date.now() + 29_000);
      const stillDuring = await post(b.server);
      jest.setSystemTime(Date.now() + 2_000);
      const afterLease = await post(b.server);
      // A wakes up: its conversation count says 1, but the key is B's now.
      finish(1);
      const late = await first;
      const again = await post(b.server);

      expect([during.statusCode, stillDuring.statusCode]).toEqual([409, 409]);
      expect(afterLease.statusCode).toBe(404);
      expect(late.statusCode).toBe(202);
      expect(again.statusCode).toBe(404);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(afterLease.json());
      await logsA.logged(
        'this request outlived its Idempotency-Key lease and a retry took the key over: its answer is not kept',
      );
    } finally {
      jest.useRealTimers();
    }
  });

  /** A server with the app's routes on its own Redis bus at `url`, as one dyno. */
  function dyno(url: string, options: { ackTimeoutMs?: number; workflows?: boolean } = {}) {
    const logs = memoryLogger();
    const bus = new RedisBus({ url, logger: logs.logger, ackTimeoutMs: options.ackTimeoutMs });
    const server = createWorkflowServer({
      logger: logs.logger,
      bus,
      config: { webhookSecret: SECRET },
      routes,
      ...(options.workflows === true ? { workflows: { transport } } : {}),
    });
    servers.push(server);
    return { server, bus, logs };
  }

  it('answers 202 when the dyno holding the conversation reports its delivery late, and 404 only when nobody waits', async () => {
    // B holds the conversation and reaches Redis through the proxy, which can hold what Redis
    // sends B: then B hears the update (and reports its count) only after A stopped waiting.
    const b = dyno(`redis://127.0.0.1:${proxy.port}`, { workflows: true });
    const a = dyno(redis.url, { ackTimeoutMs: 50 });
    await b.server.listen(0, '127.0.0.1');
    await Promise.all([a.bus.whenReady(), b.bus.whenReady()]);
    const post = (id: string, body: unknown) =>
      a.server.inject({ method: 'POST', url: `/hooks/transport/${id}`, payload: JSON.stringify(body), headers: AUTH });
    const answers: Array<{ status: number; body: unknown }> = [];

    const result = await simulate(b.server, {
      workflow: 'transport',
      answers: ['12 B'],
      timeoutMs: 8_000,
      script: async (sim) => {
        const id = await spokenRequestId(sim);
        // Answered through B's connection, after B's registry entry for the request (sent before it).
        await b.bus.hasSubscribers('transport:none');
        proxy.holdReplies();
        for (const target of [id, 'ffffff']) {
          const answer = await post(target, { status: 'assigned', by: 'Bob' });
          answers.push({ status: answer.statusCode, body: answer.json() });
        }
        proxy.release();
        await sim.waitFor(
          (frame) => frame._type === 'wf_api_say_request' && String(frame.text).startsWith('Transport assigned'),
        );
        const last = await post(id, { status: 'arriving' });
        answers.push({ status: last.statusCode, body: last.json() });
      },
    });

    expect(answers).toEqual([
      { status: 202, body: { waiting: true } },
      { status: 404, body: { error: 'no conversation is waiting for transport request ffffff' } },
      { status: 202, body: { waiting: true } },
    ]);
    expect(result.says.slice(-2)).toEqual(['Transport assigned: Bob.', 'Your transport is arriving.']);
    // The count is for the log only: 0 for the update B reported after A stopped waiting.
    const logged = a.logs.lines().filter((line) => line.msg === 'transport hook answered');
    expect(logged.map((line) => line.outcome)).toEqual([202, 404, 202]);
    expect(logged.slice(0, 2).map((line) => line.delivered)).toEqual([0, 0]);
  });
});
