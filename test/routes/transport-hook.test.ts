import {
  BusError,
  BusErrorCode,
  createWorkflowServer,
  InProcessBus,
  RedisBus,
  type SessionBus,
  type WorkflowServer,
} from '../../src';
import type { StatusReport } from '../../src/http/status';
import { routes } from '../../src/routes';
import { simulate } from '../../src/testing';
import * as transport from '../../src/workflows/transport';
import { isTransportUpdate, TRANSPORT_UPDATE_SCHEMA } from '../../src/workflows/transport-update';
import { freePort } from '../helpers/free-port';
import { memoryLogger } from '../helpers/memory-logger';

const SECRET = 'test-secret-0123456789';
const AUTH = { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' };

const servers: WorkflowServer[] = [];
afterEach(() => Promise.all(servers.splice(0).map((server) => server.close(0))));

function build({ bus, webhookSecret = SECRET }: { bus?: SessionBus; webhookSecret?: string | null } = {}) {
  const logs = memoryLogger();
  const server = createWorkflowServer({
    logger: logs.logger,
    bus,
    config: { webhookSecret: webhookSecret ?? undefined },
    workflows: { transport },
    routes,
  });
  servers.push(server);
  return { server, logs };
}

const hook = (server: WorkflowServer, id: string, body: unknown, headers: Record<string, string> = AUTH) =>
  server.inject({ method: 'POST', url: `/hooks/transport/${id}`, payload: JSON.stringify(body), headers });

/** A session-like subscriber on `transport:<id>` that keeps what it took. */
function listen(server: WorkflowServer, id: string): unknown[] {
  const taken: unknown[] = [];
  server.bus.subscribe(`transport:${id}`, (data) => void taken.push(data));
  return taken;
}

describe('POST /hooks/transport/:requestId (inject)', () => {
  it('answers 202 from the registry even when the waiting session did not take the update (its queue was full); the count, 0, goes to the log only', async () => {
    const { server, logs } = build();
    // What a session at its queue limit answers the bus: not taken.
    server.bus.subscribe('transport:d4e5f6', () => false);
    const answer = await hook(server, 'd4e5f6', { status: 'arriving' });
    expect({ status: answer.statusCode, body: answer.json<unknown>() }).toEqual({
      status: 202,
      body: { waiting: true },
    });
    await logs.logged('transport hook answered', (line) => line.delivered === 0 && line.outcome === 202);
  });

  it('answers 202 when a conversation waits and took the update (the count goes to the log), which gets the checked body only', async () => {
    const { server, logs } = build();
    const taken = listen(server, 'a1b2c3');
    const answer = await hook(server, 'a1b2c3', { status: 'assigned', eta_minutes: 5, by: 'Bob', extra: 'dropped' });
    expect(answer.statusCode).toBe(202);
    expect(answer.json()).toEqual({ waiting: true });
    expect(taken).toEqual([{ status: 'assigned', eta_minutes: 5, by: 'Bob' }]);
    // The log names the request id and the outcome, never what the body said.
    expect(logs.lines().filter((line) => line.msg === 'transport hook answered')).toEqual([
      expect.objectContaining({ transportRequest: 'a1b2c3', outcome: 202, delivered: 1 }),
    ]);
    expect(logs.text()).not.toContain('Bob');
  });

  it.each([
    [{ status: 'assigned', by: ' Dr. Ana-María ', eta_minutes: 0 }],
    [{ status: 'assigned', eta_minutes: 1440 }],
    [{ status: 'cancelled', by: 'x'.repeat(100) }],
  ])('takes the edge cases the workflow accepts: %j', async (body) => {
    const { server } = build();
    const taken = listen(server, 'a1b2c3');
    expect((await hook(server, 'a1b2c3', body)).statusCode).toBe(202);
    expect(taken).toEqual([body]);
    expect(isTransportUpdate(body)).toBe(true);
  });

  it('answers 404 when no conversation waits for that request id', async () => {
    const { server } = build();
    listen(server, 'a1b2c3');
    const answer = await hook(server, 'ffffff', { status: 'arriving' });
    expect(answer.statusCode).toBe(404);
    expect(answer.json()).toEqual({ error: 'no conversation is waiting for transport request ffffff' });
  });

  it.each([
    ['no status', { eta_minutes: 5 }, "body must have required property 'status'"],
    ['an unknown status', { status: 'lost' }, 'body/status must be equal to one of the allowed values'],
    ['a negative eta', { status: 'assigned', eta_minutes: -1 }, 'body/eta_minutes must be >= 0'],
    ['a fractional eta', { status: 'assigned', eta_minutes: 1.5 }, 'body/eta_minutes must be integer'],
    ['an eta as text', { status: 'assigned', eta_minutes: '5' }, 'body/eta_minutes must be integer'],
    ['a name of spaces', { status: 'assigned', by: '   ' }, 'body/by must match pattern'],
    ['a name with a control character', { status: 'assigned', by: 'Bo\u0007b' }, 'body/by must match pattern'],
    ['a name too long', { status: 'assigned', by: 'x'.repeat(101) }, 'body/by must NOT have more than 100 characters'],
    ['an array', [{ status: 'assigned' }], 'body must be object'],
  ])('refuses %s with 400 naming the field, publishing nothing', async (_what, body, message) => {
    const { server } = build();
    const taken = listen(server, 'a1b2c3');
    const answer = await hook(server, 'a1b2c3', body);
    expect(answer.statusCode).toBe(400);
    expect(answer.json<{ error: string }>().error).toContain(message);
    expect(taken).toEqual([]);
  });

  it('refuses a name within 100 code points but over 100 UTF-16 units, as the workflow would', async () => {
    const { server } = build();
    const taken = listen(server, 'a1b2c3');
    const answer = await hook(server, 'a1b2c3', { status: 'assigned', by: '😀'.repeat(60) });
    expect(answer.statusCode).toBe(400);
    expect(answer.json<{ error: string }>().error).toMatch(/^body\/by/);
    expect(taken).toEqual([]);
  });

  it.each([['x'.repeat(65)], ['a.b'], ['a%20b'], ['%C3%A9']])('refuses the request id %j with 400', async (id) => {
    const { server } = build();
    const answer = await hook(server, id, { status: 'arriving' });
    expect(answer.statusCode).toBe(400);
    expect(answer.json<{ error: string }>().error).toContain('params/requestId');
  });

  it('answers 401 without the secret or with a wrong one, before it reads the body', async () => {
    const { server } = build();
    const taken = listen(server, 'a1b2c3');
    for (const authorization of [undefined, 'Bearer wrong', SECRET, `Basic ${SECRET}`]) {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        ...(authorization === undefined ? {} : { authorization }),
      };
      const answer = await hook(server, 'a1b2c3', { status: 'nonsense' }, headers);
      expect(answer.statusCode).toBe(401);
      expect(answer.headers['www-authenticate']).toBe('Bearer');
    }
    expect(taken).toEqual([]);
  });

  it('answers 503 naming WEBHOOK_SECRET when none is configured', async () => {
    const { server } = build({ webhookSecret: null });
    const answer = await hook(server, 'a1b2c3', { status: 'arriving' });
    expect(answer.statusCode).toBe(503);
    expect(answer.json<{ error: string }>().error).toContain('set WEBHOOK_SECRET');
  });

  it('answers 503 when the bus is closed', async () => {
    const bus = new InProcessBus({ logger: memoryLogger().logger });
    const { server } = build({ bus });
    await bus.close();
    const answer = await hook(server, 'a1b2c3', { status: 'arriving' });
    expect(answer.statusCode).toBe(503);
    expect(answer.json<{ error: string }>().error).toContain('shutting down');
  });

  it('answers 503 at once while Redis is unreachable, and /health stays 200 saying so', async () => {
    const port = await freePort(); // nothing listens there
    const bus = new RedisBus({ url: `redis://127.0.0.1:${port}`, logger: memoryLogger().logger });
    const { server } = build({ bus });
    const started = performance.now();
    const answer = await hook(server, 'a1b2c3', { status: 'arriving' });
    expect(answer.statusCode).toBe(503);
    expect(answer.json<{ error: string }>().error).toContain('Redis');
    expect(performance.now() - started).toBeLessThan(1_000);
    const health = await server.inject('/health');
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual(
      expect.objectContaining({
        status: 'ok',
        bus: { kind: 'redis', state: expect.stringMatching(/^(connecting|reconnecting)$/) },
      }),
    );
    const report = (await server.inject({ url: '/', headers: { accept: 'application/json' } })).json<StatusReport>();
    expect(report.bus).toEqual({ kind: 'redis', state: health.json<{ bus: { state: string } }>().bus.state });
    const page = (await server.inject('/')).body;
    expect(page).toMatch(/<dt>Session bus<\/dt><dd>Redis, (connecting|reconnecting)<\/dd>/);
    expect(page).toContain('webhooks that\nreach a conversation answer 503');
  });

  it('shows the in-process bus on /health and the status page', async () => {
    const { server } = build();
    expect((await server.inject('/health')).json()).toEqual(
      expect.objectContaining({ bus: { kind: 'in-process', state: 'embedded' } }),
    );
    const page = (await server.inject('/')).body;
    expect(page).toContain('<dt>Session bus</dt><dd>in-process (one dyno)</dd>');
    expect(page).not.toContain('Open sessions go on');
  });

  it('delivers once per Idempotency-Key: a retry gets the first answer, marked as replayed', async () => {
    const { server } = build();
    const taken = listen(server, 'a1b2c3');
    const headers = { ...AUTH, 'idempotency-key': 'dispatch-42' };
    const first = await hook(server, 'a1b2c3', { status: 'assigned' }, headers);
    const retry = await hook(server, 'a1b2c3', { status: 'assigned' }, headers);
    expect([first.statusCode, retry.statusCode]).toEqual([202, 202]);
    expect(retry.json()).toEqual(first.json());
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(taken).toHaveLength(1);
    // Another key is another update.
    expect(
      (await hook(server, 'a1b2c3', { status: 'assigned' }, { ...AUTH, 'idempotency-key': 'dispatch-43' })).statusCode,
    ).toBe(202);
    expect(taken).toHaveLength(2);
  });

  it('answers 422 to a key reused for another body or request id, and still replays the first to the same request', async () => {
    const { server, logs } = build();
    const taken = listen(server, 'a1b2c3');
    listen(server, 'd4e5f6');
    const headers = { ...AUTH, 'idempotency-key': 'dispatch-99' };
    const first = await hook(server, 'a1b2c3', { status: 'assigned', by: 'Bob', eta_minutes: 5 }, headers);
    const otherBody = await hook(server, 'a1b2c3', { status: 'cancelled' }, headers);
    const otherId = await hook(server, 'd4e5f6', { status: 'assigned', by: 'Bob', eta_minutes: 5 }, headers);
    // The same update with its fields in another order is the same request.
    const retry = await hook(server, 'a1b2c3', { eta_minutes: 5, by: 'Bob', status: 'assigned' }, headers);
    expect([first.statusCode, otherBody.statusCode, otherId.statusCode, retry.statusCode]).toEqual([
      202, 422, 422, 202,
    ]);
    expect(otherBody.json()).toEqual({
      error:
        'this Idempotency-Key was already used with a different request (another body or path): send a new key for a new request',
    });
    expect(otherId.json()).toEqual(otherBody.json());
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(taken).toEqual([{ status: 'assigned', by: 'Bob', eta_minutes: 5 }]);
    expect(logs.text()).not.toContain('dispatch-99');
  });

  it('keeps no 503 under an Idempotency-Key: the retry after Redis is back delivers', async () => {
    const inner = new InProcessBus({ logger: memoryLogger().logger });
    let down = true;
    // A bus that is unreachable until `down` turns false, as a Redis bus during an outage.
    const bus: SessionBus = Object.assign(Object.create(inner) as SessionBus, {
      publish: (topic: string, data: unknown) =>
        down
          ? Promise.reject(new BusError(BusErrorCode.UNAVAILABLE, 'Redis is unreachable'))
          : inner.publish(topic, data),
    });
    const { server } = build({ bus });
    const taken = listen(server, 'a1b2c3');
    const headers = { ...AUTH, 'idempotency-key': 'dispatch-7' };
    expect((await hook(server, 'a1b2c3', { status: 'arriving' }, headers)).statusCode).toBe(503);
    down = false;
    expect((await hook(server, 'a1b2c3', { status: 'arriving' }, headers)).statusCode).toBe(202);
    expect(taken).toEqual([{ status: 'arriving' }]);
  });

  it('ends a live transport conversation: "assigned" is spoken, "arriving" ends it', async () => {
    const { server } = build();
    await server.listen(0, '127.0.0.1');
    const statuses: number[] = [];
    const result = await simulate(server, {
      workflow: 'transport',
      answers: ['12 B'],
      timeoutMs: 8_000,
      script: async (sim) => {
        const said = await sim.waitFor(
          (frame) => frame._type === 'wf_api_say_request' && String(frame.text).includes('request number is'),
        );
        const id = String(said.text)
          .replace(/^.*request number is ([0-9a-f ]+)\.$/, '$1')
          .replaceAll(' ', '');
        statuses.push((await hook(server, id, { status: 'assigned', by: 'Bob', eta_minutes: 5 })).statusCode);
        await sim.waitFor(
          (frame) => frame._type === 'wf_api_say_request' && String(frame.text).startsWith('Transport assigned'),
        );
        statuses.push((await hook(server, id, { status: 'arriving' })).statusCode);
      },
    });
    expect(statuses).toEqual([202, 202]);
    expect(result.says.slice(-2)).toEqual(['Transport assigned: Bob, about 5 minutes.', 'Your transport is arriving.']);
    expect(result.terminated).toBe(true);
  });
});

describe('TRANSPORT_UPDATE_SCHEMA', () => {
  it('states the rules of isTransportUpdate', () => {
    expect(TRANSPORT_UPDATE_SCHEMA.properties.status.enum).toEqual(['assigned', 'arriving', 'cancelled']);
    for (const status of TRANSPORT_UPDATE_SCHEMA.properties.status.enum)
      expect(isTransportUpdate({ status })).toBe(true);
    const { minimum, maximum } = TRANSPORT_UPDATE_SCHEMA.properties.eta_minutes;
    expect([minimum, maximum].map((eta_minutes) => isTransportUpdate({ status: 'assigned', eta_minutes }))).toEqual([
      true,
      true,
    ]);
    expect(
      [minimum - 1, maximum + 1].map((eta_minutes) => isTransportUpdate({ status: 'assigned', eta_minutes })),
    ).toEqual([false, false]);
  });
});
