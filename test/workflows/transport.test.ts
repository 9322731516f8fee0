import { createWorkflowServer, Uri, type WorkflowServer } from '../../src';
import { simulate, type RelaySimulator, type SimulateOptions } from '../../src/testing';
import * as transport from '../../src/workflows/transport';
import { isTransportUpdate, spokenUpdate } from '../../src/workflows/transport-update';
import { startDispatchServer, type DispatchServer } from '../helpers/dispatch-server';
import { freePort } from '../helpers/free-port';
import { memoryLogger } from '../helpers/memory-logger';

const QUESTION = 'Which room?';
const SENT = 'Transport requested for room 12 B. I will tell you when it is assigned. Double tap to cancel.';

describe('the transport workflow', () => {
  let server: WorkflowServer;
  let dispatch: DispatchServer;
  let logs: ReturnType<typeof memoryLogger>;

  /** A server whose transport workflow POSTs to `dispatchWebhookUrl` (the local dispatch server by default). */
  async function serve(dispatchWebhookUrl: string | null = dispatch.url): Promise<void> {
    server = createWorkflowServer({
      logger: logs.logger,
      config: { dispatchWebhookUrl: dispatchWebhookUrl ?? undefined },
      workflows: { transport },
    });
    await server.listen(0, '127.0.0.1');
  }

  beforeEach(async () => {
    logs = memoryLogger();
    dispatch = await startDispatchServer();
  });

  afterEach(async () => {
    await server.close(0);
    await dispatch.close();
  });

  const run = (options: SimulateOptions = {}) =>
    simulate(server, {
      workflow: 'transport',
      device: { name: 'Ana' },
      answers: ['12 B'],
      timeoutMs: 8_000,
      ...options,
    });

  /** Waits until the wearer heard that the request is sent, and returns its id (from the dispatch POST). */
  async function requestSent(sim: RelaySimulator): Promise<string> {
    const body = await dispatch.nextRequest();
    await sim.waitFor((frame) => frame._type === 'wf_api_say_request' && frame.text === SENT);
    return String(body.request_id);
  }

  const outcomes = () =>
    logs
      .lines()
      .filter((line) => line.msg === 'transport request ended')
      .map((line) => line.outcome);

  it('POSTs {request_id, room, device} to the dispatch system, speaks "assigned" and ends on "arriving"', async () => {
    await serve();
    const counts: number[] = [];
    const result = await run({
      script: async (sim) => {
        const id = await requestSent(sim);
        counts.push(await server.bus.publish(`transport:${id}`, { status: 'assigned', by: 'Bob', eta_minutes: 5 }));
        await sim.waitFor(
          (frame) => frame._type === 'wf_api_say_request' && String(frame.text).startsWith('Transport assigned'),
        );
        counts.push(await server.bus.publish(`transport:${id}`, { status: 'arriving' }));
      },
    });
    expect(dispatch.received).toEqual([
      { request_id: expect.stringMatching(/^[0-9a-f]{6}$/), room: '12 B', device: Uri.deviceName('Ana') },
    ]);
    expect(result.says).toEqual([
      QUESTION,
      SENT,
      'Transport assigned: Bob, about 5 minutes.',
      'Your transport is arriving.',
    ]);
    expect(counts).toEqual([1, 1]);
    expect(result.terminated).toBe(true);
    expect(result.interactions).toEqual([expect.objectContaining({ name: 'transport', ended: true })]);
    expect(outcomes()).toEqual(['arriving']);
    // The session is over: its subscription went with it, and nobody hears the topic any more.
    expect(server.bus.subscriptions).toBe(0);
    await expect(
      server.bus.publish(`transport:${String(dispatch.received[0]?.request_id)}`, { status: 'arriving' }),
    ).resolves.toBe(0);
  });

  it('ends with the spoken cancellation when the dispatch system cancels', async () => {
    await serve();
    const result = await run({
      script: async (sim) => {
        const id = await requestSent(sim);
        await server.bus.publish(`transport:${id}`, { status: 'cancelled' });
      },
    });
    expect(result.says).toEqual([QUESTION, SENT, 'The dispatch system cancelled your transport request.']);
    expect(result.terminated).toBe(true);
    expect(result.timers).toEqual([expect.objectContaining({ name: 'transport give up', fired: 0, cleared: true })]);
    expect(outcomes()).toEqual(['cancelled']);
  });

  it('cancels on a double tap (a single tap does nothing)', async () => {
    await serve();
    const result = await run({
      script: async (sim) => {
        await requestSent(sim);
        sim.pressButton('single');
        sim.pressButton('double');
      },
    });
    expect(result.says).toEqual([QUESTION, SENT, 'Transport request cancelled.']);
    expect(result.terminated).toBe(true);
    expect(outcomes()).toEqual(['cancelled by the wearer']);
  });

  it('gives up after give_up_after_secs without arrival, and says so', async () => {
    await serve();
    const result = await run({ timerSpeedup: 1000, vars: { give_up_after_secs: '30' } });
    expect(result.timers).toEqual([
      { name: 'transport give up', type: 'timeout', delayMs: 30, fired: 1, cleared: false },
    ]);
    expect(result.says).toEqual([QUESTION, SENT, 'No transport has arrived. Please call dispatch.']);
    expect(outcomes()).toEqual(['gave up']);
  });

  it('waits 600 seconds when give_up_after_secs is unset or unusable', async () => {
    await serve();
    const result = await run({ timerSpeedup: 1_000_000, vars: { give_up_after_secs: 'soon' } });
    expect(result.timers[0]?.delayMs).toBe(0.6);
  });

  it('drops an update that fails its check, and takes the next good one', async () => {
    await serve();
    const counts: number[] = [];
    const result = await run({
      script: async (sim) => {
        const id = await requestSent(sim);
        for (const bad of [
          { status: 'teleported' },
          { status: 'arriving', eta_minutes: -1 },
          ['arriving'],
          'arriving',
          { status: 'arriving', by: 'x\u0007' },
        ]) {
          counts.push(await server.bus.publish(`transport:${id}`, bad));
        }
        counts.push(await server.bus.publish(`transport:${id}`, { status: 'arriving', by: 'Bob' }));
      },
    });
    expect(counts).toEqual([0, 0, 0, 0, 0, 1]);
    expect(result.says).toEqual([QUESTION, SENT, 'Your transport is arriving: Bob.']);
  });

  it('retries a dispatch system that answers 503, then goes on', async () => {
    await dispatch.close();
    dispatch = await startDispatchServer([503, 202]);
    await serve();
    const result = await run({ timerSpeedup: 1000 });
    expect(dispatch.received).toHaveLength(2);
    expect(dispatch.received[0]).toEqual(dispatch.received[1]);
    expect(result.says).toEqual([QUESTION, SENT, 'No transport has arrived. Please call dispatch.']);
    expect(logs.lines().find((line) => line.msg === 'transport request sent')).toMatchObject({ attempts: 2 });
  });

  it('tells the wearer and ends when the dispatch system cannot be reached', async () => {
    await serve(`http://127.0.0.1:${await freePort()}/requests`);
    const result = await run();
    expect(result.says).toEqual([QUESTION, 'I could not reach the dispatch system. Please call for transport.']);
    expect(result.terminated).toBe(true);
    expect(outcomes()).toEqual(['dispatch unreachable']);
    const warning = logs.lines().find((line) => line.msg === 'the dispatch system could not be reached');
    expect(warning).toMatchObject({
      attempts: 3,
      reason: 'ECONNREFUSED',
      transportRequest: expect.stringMatching(/^[0-9a-f]{6}$/),
    });
    expect(server.bus.subscriptions).toBe(0);
  });

  it('without DISPATCH_WEBHOOK_URL, says so with the request number and still hears updates', async () => {
    await serve(null);
    const result = await run({
      script: async (sim) => {
        const said = await sim.waitFor(
          (frame) => frame._type === 'wf_api_say_request' && String(frame.text).startsWith('No dispatch system'),
        );
        const id = /number is ([0-9a-f ]+)\./.exec(String(said.text))?.[1]?.replaceAll(' ', '') ?? '';
        await server.bus.publish(`transport:${id}`, { status: 'arriving' });
      },
    });
    expect(result.says[1]).toMatch(/^No dispatch system is set up\. Your request number is ([0-9a-f] ){5}[0-9a-f]\.$/);
    expect(result.says[2]).toBe('Your transport is arriving.');
    expect(dispatch.received).toEqual([]);
  });

  it('ends politely when no room was heard', async () => {
    await serve();
    const result = await run({ answers: ['  '] });
    expect(result.says).toEqual([QUESTION, 'I did not hear a room. Say request transport to try again.']);
    expect(dispatch.received).toEqual([]);
    expect(outcomes()).toEqual(['no room heard']);
  });

  it('never logs the room or what was said', async () => {
    await serve();
    await run({
      script: async (sim) => {
        const id = await requestSent(sim);
        await server.bus.publish(`transport:${id}`, { status: 'arriving', by: 'Bob Secret' });
      },
    });
    expect(logs.lines().length).toBeGreaterThan(3);
    for (const said of ['12 B', 'Bob Secret', 'Which room', 'arriving:']) expect(logs.text()).not.toContain(said);
  });
});

describe('transport updates', () => {
  it.each([
    [{ status: 'assigned' }, 'Transport assigned.'],
    [{ status: 'assigned', by: 'Bob' }, 'Transport assigned: Bob.'],
    [{ status: 'assigned', eta_minutes: 1 }, 'Transport assigned: about 1 minute.'],
    [{ status: 'assigned', by: 'Bob', eta_minutes: 0 }, 'Transport assigned: Bob, now.'],
    [{ status: 'arriving', by: ' Bob ' }, 'Your transport is arriving: Bob.'],
  ] as const)('%j is spoken as %j', (update, line) => {
    expect(isTransportUpdate(update)).toBe(true);
    expect(spokenUpdate(update)).toBe(line);
  });

  it.each([
    null,
    1,
    'assigned',
    [],
    {},
    { status: 'toString' },
    { status: 'assigned', eta_minutes: 1.5 },
    { status: 'assigned', eta_minutes: 2000 },
    { status: 'assigned', by: '' },
    { status: 'assigned', by: 'x'.repeat(101) },
    { status: 'assigned', by: 7 },
    Object.create({ status: 'assigned' }) as unknown,
  ])('refuses %j', (data) => {
    expect(isTransportUpdate(data)).toBe(false);
  });
});
