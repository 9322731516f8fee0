import { createWorkflowServer, Event, type Config, type Workflow, type WorkflowServer } from '../../src';
import { desiredRow } from '../../src/registrations';
import { MAX_QUEUED_EVENTS } from '../../src/relay/limits';
import { SECRET_ANSWER_MS } from '../../src/relay/secret-check';
import { maskedFrame, writeFramesInSingleWrite } from '../../src/sim/wire';
import { RelaySimulator, simulate, type SimulationResult } from '../../src/testing';
import hello from '../../src/workflows/hello';
import { startCloudClient } from '../helpers/cloud-client';
import { memoryLogger, type MemoryLogger } from '../helpers/memory-logger';
import { FAKE_TIMERS, RelayPeer, responseTo, startEvent } from '../helpers/relay-peer';

const SECRET = 'PLANTED-workflow-secret-new-0123456789';
const OLD_SECRET = 'PLANTED-workflow-secret-old-9876543210';
const TOKEN = 'PLANTED-workflow-token-abcdefghij';
const HOST = 'demo-1234.herokuapp.com';

/** The args `npm run register` gives a registration when WORKFLOW_SECRET is `secret` (what Relay hands over on get_var). */
function registeredArgs(secret: string | undefined): Record<string, string> {
  const row = desiredRow(
    'hello',
    { description: 'd', trigger: { type: 'phrase', phrases: ['hello'] }, args: { greeting: 'Hello' } },
    { publicHost: HOST, workflowToken: undefined, workflowSecret: secret, install: { type: 'all' } },
  );
  const args = (row.config as { trigger: { start: { workflow: { args: Record<string, string | number | boolean> } } } })
    .trigger.start.workflow.args;
  return Object.fromEntries(Object.entries(args).map(([key, value]) => [key, String(value)]));
}

/** A workflow that records which handlers ran, and what its own read of the reserved arg gave. */
function recorder() {
  const ran: string[] = [];
  let ownRead: unknown;
  const handler = (workflow: Workflow) => {
    workflow.on(Event.START, async () => {
      ran.push('start');
      ownRead = await workflow.getVar('workflow_secret').then(
        (value) => ({ value }),
        (error: Error) => ({ error: error.message }),
      );
      await workflow.terminate();
    });
    workflow.on(Event.INCIDENT, () => void ran.push('incident'));
    workflow.on(Event.TIMER_FIRED, () => void ran.push('timer_fired'));
  };
  return { handler, ran, ownRead: () => ownRead };
}

/** The workflow's get_var requests of the reserved arg, in a run's requests. */
const secretReads = (run: SimulationResult) =>
  run.requests.filter((frame) => frame._type === 'wf_api_get_var_request' && frame.name === 'workflow_secret');

describe('WORKFLOW_SECRET: the session asks Relay for workflow_secret before any handler runs (simulator as Relay)', () => {
  let server: WorkflowServer;
  let logs: MemoryLogger;
  let base: string;

  async function start(config: Partial<Config>, level: 'info' | 'trace' = 'trace'): Promise<void> {
    // Trace level with LOG_PRIVATE_DATA: the most a log can hold, so that "never logged" means at any level.
    const logPrivateData = level === 'trace';
    logs = memoryLogger(level, { logPrivateData });
    server = createWorkflowServer({ logger: logs.logger, config: { heartbeatMs: 50_000, logPrivateData, ...config } });
    const { port } = await server.listen(0, '127.0.0.1');
    base = `ws://127.0.0.1:${port}`;
  }

  afterEach(async () => {
    jest.useRealTimers();
    await server.close(0);
    for (const secret of [SECRET, OLD_SECRET]) expect(logs.text()).not.toContain(secret);
  });

  it('runs the workflow when Relay answers the right secret, asking for it first', async () => {
    await start({ workflowSecret: SECRET });
    server.workflow('hello', hello);
    const run = await simulate(`${base}/hello`, { answers: ['Ana'], vars: registeredArgs(SECRET) });
    expect(run.says).toEqual(['What is your name?', 'Hello Ana!']);
    expect(run.terminated).toBe(true);
    const fromWorkflow = run.transcript.filter((entry) => entry.from === 'workflow').map((entry) => entry.frame);
    expect(fromWorkflow[0]).toMatchObject({ _type: 'wf_api_get_var_request', name: 'workflow_secret' });
    expect(fromWorkflow[1]?._type).toBe('wf_api_start_interaction_request');
    expect(secretReads(run)).toHaveLength(1);
    await logs.logged('workflow secret accepted', (line) => line.matched === 'current');
  });

  it.each([
    ['a wrong secret', { vars: { workflow_secret: 'not-the-secret-0123456789' } }, 'wrong'],
    ['no workflow_secret arg', { vars: { greeting: 'Hello' } }, 'missing'],
    ['an error answer', { vars: {}, errors: { get_var: 'var_not_found' } }, 'missing'],
  ])('closes the session with 1008 on %s, and no workflow handler runs', async (_case, options, reason) => {
    await start({ workflowSecret: SECRET });
    const { handler, ran } = recorder();
    server.workflow('w', handler);
    const run = await simulate(`${base}/w`, options);
    expect({ code: run.code, reason: run.reason, closedBy: run.closedBy }).toEqual({
      code: 1008,
      reason: `workflow secret ${reason}`,
      closedBy: 'workflow',
    });
    expect(ran).toEqual([]);
    expect(run.requests.map((frame) => frame._type)).toEqual(['wf_api_get_var_request']);
    const line = await logs.logged(
      'closing a session whose Relay did not give the workflow secret; no workflow handler ran',
    );
    expect(line).toMatchObject({ level: 'warn', closeCode: 1008, secretCheck: reason, workflow: 'w' });
    await logs.logged('session closed', (closed) => closed.endedBy === 'secret-refused');
  });

  it(`closes the session with 1008 when the answer does not come within ${SECRET_ANSWER_MS} ms (fake clock)`, async () => {
    await start({ workflowSecret: SECRET });
    const { handler, ran } = recorder();
    server.workflow('w', handler);
    jest.useFakeTimers(FAKE_TIMERS);
    const sim = await RelaySimulator.connect(`${base}/w`, {
      vars: registeredArgs(SECRET),
      unanswered: (request) => request.name === 'workflow_secret',
    });
    await sim.waitFor((frame) => frame._type === 'wf_api_get_var_request');
    let ended = false;
    void sim.finished.then(() => (ended = true));
    await jest.advanceTimersByTimeAsync(SECRET_ANSWER_MS - 1);
    expect(ended).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await sim.finished).toMatchObject({ code: 1008, reason: 'workflow secret no-answer' });
    expect(ran).toEqual([]);
    await sim.close();
  });

  it('holds the events that arrive before the answer, and runs them after start, in order', async () => {
    await start({ workflowSecret: SECRET });
    const { handler, ran } = recorder();
    server.workflow('w', handler);
    const sim = await RelaySimulator.connect(`${base}/w`, {
      unanswered: (request) => request.name === 'workflow_secret',
    });
    const ask = await sim.waitFor((frame) => frame._type === 'wf_api_get_var_request');
    sim.sendEvent({ _type: 'wf_api_incident_event', type: 'resolved', incident_id: 'i-1', reason: 'r' });
    sim.sendEvent({ _type: 'wf_api_timer_fired_event', name: 'nudge' });
    // The answer comes last, after both events reached the server.
    sim.sendEvent({ _id: ask._id, _type: 'wf_api_get_var_response', value: SECRET });
    await sim.finished;
    expect(ran).toEqual(['start', 'incident', 'timer_fired']);
    expect(sim.result().terminated).toBe(true);
  });

  /** A peer whose workflow subscribed to `news` when the session opened; `early` is published before its start event. */
  async function subscribedBeforeStart(): Promise<{ peer: RelayPeer; heard: unknown[] }> {
    await start({ workflowSecret: SECRET });
    const heard: unknown[] = [];
    server.workflow('w', (workflow) => {
      workflow.on(Event.START, () => void heard.push('start'));
      workflow.subscribe('news', (data) => void heard.push(data));
    });
    const peer = await RelayPeer.connect(`${base}/w`);
    await peer.synced();
    await expect(server.bus.publish('news', 'early')).resolves.toBe(1);
    peer.send(startEvent());
    return { peer, heard };
  }

  it('holds a bus message published before the start event: it never runs when the secret is refused', async () => {
    const { peer, heard } = await subscribedBeforeStart();
    peer.respond(await peer.nextOfType('wf_api_get_var_request'), { value: 'not-the-secret-0123456789' });
    expect(await peer.closed).toEqual({ code: 1008, reason: 'workflow secret wrong' });
    await logs.logged('session closed');
    expect(heard).toEqual([]);
  });

  it('runs a bus message published before the start event once the secret matches, in arrival order', async () => {
    const { peer, heard } = await subscribedBeforeStart();
    const ask = await peer.nextOfType('wf_api_get_var_request');
    await peer.synced();
    expect(heard).toEqual([]);
    peer.respond(ask, { value: SECRET });
    await peer.synced();
    expect(heard).toEqual(['early', 'start']);
    await peer.close();
  });

  it(`bounds what waits for the answer: event ${MAX_QUEUED_EVENTS + 1} closes the session with 1008, and none ran`, async () => {
    await start({ workflowSecret: SECRET }, 'info');
    const { handler, ran } = recorder();
    server.workflow('w', handler);
    const peer = await RelayPeer.connect(`${base}/w`);
    peer.send(startEvent());
    await peer.nextOfType('wf_api_get_var_request');
    const timer = { _type: 'wf_api_timer_fired_event', name: 'nudge' };
    peer.sendTogether(Array.from({ length: MAX_QUEUED_EVENTS + 1 }, () => timer));
    expect(await peer.closed).toEqual({ code: 1008, reason: 'too many events waiting for their handlers' });
    expect(ran).toEqual([]);
  });

  it('runs nothing when the right answer and a close frame come in the same read (the session is closing)', async () => {
    await start({ workflowSecret: SECRET });
    const { handler, ran } = recorder();
    server.workflow('w', handler);
    const peer = await RelayPeer.connect(`${base}/w`);
    peer.send(startEvent());
    const ask = await peer.nextOfType('wf_api_get_var_request');
    const answer = Buffer.from(JSON.stringify(responseTo(ask, { value: SECRET })));
    const close = Buffer.from([0x03, 0xe8]); // 1000
    writeFramesInSingleWrite(peer.socket, [maskedFrame(0x1, answer), maskedFrame(0x8, close)]);
    await logs.logged('session closed');
    expect(ran).toEqual([]);
  });

  it('accepts sessions registered with the new and with the previous value during a rotation', async () => {
    await start({ workflowSecret: SECRET, workflowSecretPrevious: OLD_SECRET });
    server.workflow('hello', hello);
    for (const secret of [OLD_SECRET, SECRET]) {
      const run = await simulate(`${base}/hello`, { answers: ['Ana'], vars: registeredArgs(secret) });
      expect(run.says).toEqual(['What is your name?', 'Hello Ana!']);
    }
    await logs.logged('workflow secret accepted', (line) => line.matched === 'previous');
    await logs.logged('workflow secret accepted', (line) => line.matched === 'current');
  });

  it('refuses the previous value once WORKFLOW_SECRET_PREVIOUS is unset', async () => {
    await start({ workflowSecret: SECRET });
    server.workflow('hello', hello);
    const run = await simulate(`${base}/hello`, { answers: ['Ana'], vars: registeredArgs(OLD_SECRET) });
    expect({ code: run.code, says: run.says }).toEqual({ code: 1008, says: [] });
  });

  it("never lets the workflow read the reserved arg: its getVar('workflow_secret') rejects, sending nothing", async () => {
    await start({ workflowSecret: SECRET });
    const { handler, ran, ownRead } = recorder();
    server.workflow('w', handler);
    const run = await simulate(`${base}/w`, { vars: registeredArgs(SECRET) });
    expect(ran).toEqual(['start']);
    expect(ownRead()).toEqual({ error: expect.stringMatching(/^workflow_secret is reserved: .*WORKFLOW_SECRET/) });
    expect(secretReads(run)).toHaveLength(1);
  });

  it('changes nothing when WORKFLOW_SECRET is unset: no get_var before the first handler, and the arg is still not readable', async () => {
    await start({});
    const { handler, ran, ownRead } = recorder();
    server.workflow('w', handler);
    const run = await simulate(`${base}/w`, { vars: { workflow_secret: 'hand-registered-0123456789' } });
    expect(ran).toEqual(['start']);
    expect(secretReads(run)).toEqual([]);
    expect(ownRead()).toEqual({ error: expect.stringContaining('workflow_secret is reserved') });
  });

  it('keeps ?token= working beside it, for registrations made by hand', async () => {
    await start({ workflowSecret: SECRET, workflowToken: TOKEN });
    server.workflow('hello', hello);
    const run = await simulate(`${base}/hello?token=${TOKEN}`, { answers: ['Ana'], vars: registeredArgs(SECRET) });
    expect(run.says).toEqual(['What is your name?', 'Hello Ana!']);
    await expect(RelaySimulator.connect(`${base}/hello`, { vars: registeredArgs(SECRET) })).rejects.toThrow(/401/);
  });

  it('runs a session the simulated cloud opens with the registered args', async () => {
    await start({ workflowSecret: SECRET });
    server.workflow('hello', hello);
    const setup = await startCloudClient({ simulator: { answers: ['Ana'] } });
    try {
      setup.cloud.register('wf_hello', `${base}/hello`, { args: registeredArgs(SECRET) });
      await setup.api.triggerWorkflow('wf_hello');
      const result = await (await setup.cloud.nextSession()).finished;
      expect(result.says).toEqual(['What is your name?', 'Hello Ana!']);
      expect(secretReads(result)).toHaveLength(1);
    } finally {
      await setup.cloud.close();
    }
  });
});
