import type { WebSocket } from 'ws';
import { InProcessBus } from '../../src/bus/in-process-bus';
import { Event } from '../../src/relay/event';
import { ByteBudget } from '../../src/relay/limits';
import { Session } from '../../src/relay/session';
import { Workflow } from '../../src/relay/workflow';
import { memoryLogger } from '../helpers/memory-logger';
import { FakeSocket, workflowOnFakeSocket } from '../helpers/fake-socket';

const START = {
  _type: 'wf_api_start_event',
  trigger: { type: 'phrase', args: { source_uri: 'urn:relay-resource:name:device:Test' } },
};
const TAP = {
  _type: 'wf_api_button_event',
  button: 'action',
  taps: 'single',
  source_uri: 'urn:relay-resource:name:device:Test',
};

/** A promise the test opens when it wants. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

const ticks = async (count = 5) => {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
};

const sockets: FakeSocket[] = [];
// Closing the session rejects its pending actions (a `say` nobody answers) and clears their timers.
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.close(1000);
});

/** A session on a fake socket whose workflow has a bus; `start()` delivers its start event. */
function setUp({ maxQueuedBytes, budget }: { maxQueuedBytes?: number; budget?: ByteBudget } = {}) {
  const logs = memoryLogger();
  const bus = new InProcessBus({ logger: logs.logger });
  const socket = new FakeSocket();
  sockets.push(socket);
  const session = new Session({
    socket: socket as unknown as WebSocket,
    logger: logs.logger,
    id: 'test',
    maxQueuedBytes,
    budget,
  });
  const workflow = new Workflow(session, { bus });
  return { logs, bus, socket, session, workflow, start: () => socket.deliver(START) };
}

describe('workflow.subscribe', () => {
  it('runs a message handler one at a time with the events: after the running handler, before later events', async () => {
    const { bus, socket, workflow, start } = setUp();
    const order: string[] = [];
    const startGate = gate();
    workflow.on(Event.START, async () => {
      order.push('start begins');
      await startGate.wait;
      order.push('start ends');
    });
    workflow.on(Event.BUTTON, () => void order.push('button'));
    workflow.subscribe<{ n: number }>('t', (data) => void order.push(`message ${data.n}`));
    start();
    await expect(bus.publish('t', { n: 1 })).resolves.toBe(1);
    socket.deliver(TAP);
    await ticks();
    expect(order).toEqual(['start begins']);
    startGate.open();
    await ticks();
    expect(order).toEqual(['start begins', 'start ends', 'message 1', 'button']);
  });

  it('lets the handler act on the session (say)', async () => {
    const { bus, socket, workflow, start } = setUp();
    start();
    workflow.subscribe('t', async () => {
      await workflow.say('urn:relay-resource:name:device:Test', 'news');
    });
    await bus.publish('t', {});
    await ticks();
    expect(socket.sent.map((frame) => [frame._type, frame.text])).toEqual([['wf_api_say_request', 'news']]);
  });

  it('sends what the handler throws to the error handler, logged once with the topic', async () => {
    const { bus, logs, workflow, start } = setUp();
    const errors: Error[] = [];
    workflow.on(Event.ERROR, ({ error }) => void errors.push(error));
    start();
    workflow.subscribe('transport:x1', () => {
      throw new Error('handler bug');
    });
    await expect(bus.publish('transport:x1', 1)).resolves.toBe(1);
    await ticks();
    expect(errors.map((error) => error.message)).toEqual(['handler bug']);
    expect(
      logs
        .lines()
        .filter((line) => line.msg === 'workflow handler failed')
        .map((line) => line.event),
    ).toEqual(['bus transport:x1']);
  });

  it('ends the subscription with the session and drops a message still queued; a message after close is not taken', async () => {
    const { bus, socket, workflow, start } = setUp();
    const startGate = gate();
    const heard: unknown[] = [];
    workflow.on(Event.START, () => startGate.wait);
    workflow.subscribe('t', (data) => void heard.push(data));
    start();
    await expect(bus.publish('t', 'queued')).resolves.toBe(1);
    socket.close(1000);
    expect(bus.subscriptions).toBe(0);
    await expect(bus.publish('t', 'late')).resolves.toBe(0);
    startGate.open();
    await ticks();
    expect(heard).toEqual([]);
    expect(workflow.subscribe('t', () => undefined)).toEqual(expect.any(Function));
    expect(bus.subscriptions).toBe(0);
  });

  it('stops on the returned function, which is safe to call twice', async () => {
    const { bus, workflow, start } = setUp();
    start();
    const stop = workflow.subscribe('t', () => undefined);
    stop();
    stop();
    await expect(bus.publish('t', 1)).resolves.toBe(0);
  });

  it('counts a waiting message in the buffered bytes and gives them back when it ran', async () => {
    const budget = new ByteBudget(1_000_000);
    const { bus, workflow, start } = setUp({ budget });
    const startGate = gate();
    workflow.on(Event.START, () => startGate.wait);
    workflow.subscribe('t', () => undefined);
    start();
    const message = { text: 'x'.repeat(1000) };
    await bus.publish('t', message);
    const bytes = Buffer.byteLength(JSON.stringify(message));
    // The budget is this session's alone: what it holds is what the session holds.
    expect(budget.bufferedBytes).toBe(bytes);
    startGate.open();
    await ticks();
    expect(budget.bufferedBytes).toBe(0);
  });

  it('does not take a message over MAX_QUEUED_BYTES while a handler runs, and the session goes on', async () => {
    const { bus, logs, session, workflow, start } = setUp({ maxQueuedBytes: 500 });
    const startGate = gate();
    const heard: unknown[] = [];
    workflow.on(Event.START, () => startGate.wait);
    workflow.subscribe('t', (data) => void heard.push(data));
    start();
    await expect(bus.publish('t', 'x'.repeat(600))).resolves.toBe(0);
    await expect(bus.publish('t', 'small')).resolves.toBe(1);
    startGate.open();
    await ticks();
    expect(heard).toEqual(['small']);
    expect(session.isOpen).toBe(true);
    expect(logs.lines().map((line) => line.msg)).toContain(
      'dropped a bus message: too many bytes waiting for their handlers',
    );
  });

  it('refuses a message that fails `accept`, without counting it or logging its data', async () => {
    const { bus, logs, workflow, start } = setUp();
    start();
    const heard: number[] = [];
    const isNumber = (data: unknown): data is number => typeof data === 'number';
    workflow.subscribe('t', (n) => void heard.push(n + 1), { accept: isNumber });
    await expect(bus.publish('t', 'secret words')).resolves.toBe(0);
    await expect(bus.publish('t', 41)).resolves.toBe(1);
    await ticks();
    expect(heard).toEqual([42]);
    expect(logs.text()).not.toContain('secret words');
  });

  it('says how to get a bus when the workflow has none', () => {
    const { workflow, socket } = workflowOnFakeSocket();
    sockets.push(socket);
    expect(() => workflow.subscribe('t', () => undefined)).toThrow(/createWorkflowServer/);
  });
});
