import { createWorkflowServer, InProcessBus, RedisBus, type WorkflowServer } from '../../src';
import { simulate } from '../../src/testing';
import * as transport from '../../src/workflows/transport';
import { startDispatchServer } from '../helpers/dispatch-server';
import { memoryLogger } from '../helpers/memory-logger';
import { redisTestsRun, startRedis, type PrivateRedis } from '../helpers/redis-server';

const withRedis = redisTestsRun();

describe('the bus of a workflow server', () => {
  it('is in-process by default, and close() closes it', async () => {
    const server = createWorkflowServer({ config: { logLevel: 'silent' } });
    expect(server.bus).toBeInstanceOf(InProcessBus);
    expect(server.bus.state).toBe('embedded');
    await server.close(0);
    expect(server.bus.state).toBe('down');
  });

  it('is the one passed in, shared by two servers (one process, two "dynos")', async () => {
    const bus = new InProcessBus({ logger: memoryLogger().logger });
    const a = createWorkflowServer({ bus, config: { logLevel: 'silent' } });
    const b = createWorkflowServer({ bus, config: { logLevel: 'silent' } });
    expect(a.bus).toBe(b.bus);
    await Promise.all([a.close(0), b.close(0)]);
  });
});

(withRedis ? describe : describe.skip)('the bus of a workflow server with REDIS_URL', () => {
  let redis: PrivateRedis;
  const servers: WorkflowServer[] = [];

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close(0)));
  });
  afterAll(() => redis.stop());

  it('is a Redis bus', async () => {
    const server = createWorkflowServer({ config: { logLevel: 'silent', redisUrl: redis.url } });
    servers.push(server);
    expect(server.bus).toBeInstanceOf(RedisBus);
    await (server.bus as RedisBus).whenReady();
  });

  it('carries an update published by one server to the transport conversation held by another', async () => {
    const dispatch = await startDispatchServer();
    try {
      const config = { logLevel: 'silent' as const, redisUrl: redis.url, dispatchWebhookUrl: dispatch.url };
      const holder = createWorkflowServer({ config, workflows: { transport } });
      const publisher = createWorkflowServer({ config });
      servers.push(holder, publisher);
      await holder.listen(0, '127.0.0.1');
      await Promise.all([(holder.bus as RedisBus).whenReady(), (publisher.bus as RedisBus).whenReady()]);
      const counts: number[] = [];
      const result = await simulate(holder, {
        workflow: 'transport',
        answers: ['4'],
        script: async (sim) => {
          const { request_id: id } = await dispatch.nextRequest();
          await sim.waitFor(
            (frame) => frame._type === 'wf_api_say_request' && String(frame.text).startsWith('Transport requested'),
          );
          counts.push(
            await publisher.bus.publish(`transport:${String(id)}`, { status: 'assigned', by: 'Bob', eta_minutes: 5 }),
          );
          counts.push(await publisher.bus.publish(`transport:${String(id)}`, { status: 'arriving' }));
        },
      });
      expect(counts).toEqual([1, 1]);
      expect(result.says.slice(2)).toEqual([
        'Transport assigned: Bob, about 5 minutes.',
        'Your transport is arriving.',
      ]);
      expect(holder.bus.subscriptions).toBe(0);
    } finally {
      await dispatch.close();
    }
  });
});
