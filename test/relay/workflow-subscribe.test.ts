import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../../src';
import { Event } from '../../src/relay/event';
import { WebSocketHost } from '../../src/relay/websocket-host';
import type { Workflow } from '../../src/relay/workflow';
import { WorkflowRegistry } from '../../src/relay/workflow-registry';
import { memoryLogger } from '../helpers/memory-logger';
import { RelayPeer, startRelayServer, type RelayTestServer } from '../helpers/relay-peer';
import { deferred } from '../helpers/settle';

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

/** Turns of the event loop, to see that something queued does not run. */
const ticks = async (count = 5) => {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
};

const opened: RelayTestServer[] = [];
// Closing the server closes the session, which rejects its pending actions (a `say` nobody answers).
afterEach(async () => {
  await Promise.all(opened.splice(0).map((relay) => relay.close()));
});

/**
 * A server (with its in-process bus) and one session on it; `start()` sends the start event and
 * resolves once the session took it.
 */
async function setUp(config: Partial<Config> = {}) {
  const relay = await startRelayServer({ config });
  opened.push(relay);
  const session = deferred<Workflow>();
  const peer = await relay.connect((workflow) => session.resolve(workflow));
  const workflow = await session.promise;
  const start = async () => {
    peer.send(START);
    await peer.synced();
  };
  return { relay, logs: relay.logs, bus: relay.server.bus, peer, workflow, start };
}

describe('workflow.subscribe', () => {
  it('runs a message handler one at a time with the events: after the running handler, before later events', async () => {
    const { bus, peer, workflow, start } = await setUp();
    const order: string[] = [];
    const startGate = gate();
    const tapped = deferred<void>();
    workflow.on(Event.START, async () => {
      order.push('start begins');
      await startGate.wait;
      order.push('start ends');
    });
    workflow.on(Event.BUTTON, () => {
      order.push('button');
      tapped.resolve();
    });
    workflow.subscribe<{ n: number }>('t', (data) => void order.push(`message ${data.n}`));
    await start();
    await expect(bus.publish('t', { n: 1 })).resolves.toBe(1);
    peer.send(TAP);
    await peer.synced();
    expect(order).toEqual(['start begins']);
    startGate.open();
    await tapped.promise;
    expect(order).toEqual(['start begins', 'start ends', 'message 1', 'button']);
  });

  it('lets the handler act on the session (say)', async () => {
    const { bus, peer, workflow, start } = await setUp();
    await start();
    workflow.subscribe('t', async () => {
      await workflow.say('urn:relay-resource:name:device:Test', 'news');
    });
    await bus.publish('t', {});
    await peer.next();
    expect(peer.received.map((frame) => [frame._type, frame.text])).toEqual([['wf_api_say_request', 'news']]);
  });

  it('sends what the handler throws to the error handler, logged once with the topic', async () => {
    const { bus, logs, workflow, start } = await setUp();
    const errors: Error[] = [];
    workflow.on(Event.ERROR, ({ error }) => void errors.push(error));
    await start();
    workflow.subscribe('transport:x1', () => {
      throw new Error('handler bug');
    });
    await expect(bus.publish('transport:x1', 1)).resolves.toBe(1);
    await logs.logged('workflow handler failed');
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
    const { bus, logs, peer, workflow, start } = await setUp();
    const startGate = gate();
    const heard: unknown[] = [];
    workflow.on(Event.START, () => startGate.wait);
    workflow.subscribe('t', (data) => void heard.push(data));
    await start();
    await expect(bus.publish('t', 'queued')).resolves.toBe(1);
    await peer.close(1000);
    await logs.logged('session closed');
    expect(bus.subscriptions).toBe(0);
    await expect(bus.publish('t', 'late')).resolves.toBe(0);
    startGate.open();
    await ticks();
    expect(heard).toEqual([]);
    expect(workflow.subscribe('t', () => undefined)).toEqual(expect.any(Function));
    expect(bus.subscriptions).toBe(0);
  });

  it('stops on the returned function, which is safe to call twice', async () => {
    const { bus, workflow, start } = await setUp();
    await start();
    const stop = workflow.subscribe('t', () => undefined);
    stop();
    stop();
    await expect(bus.publish('t', 1)).resolves.toBe(0);
  });

  it('counts a waiting message in the buffered bytes and gives them back when it ran', async () => {
    const { relay, bus, workflow, start } = await setUp();
    const startGate = gate();
    const ran = deferred<void>();
    workflow.on(Event.START, () => startGate.wait);
    workflow.subscribe('t', () => ran.resolve());
    await start();
    const message = { text: 'x'.repeat(1000) };
    await bus.publish('t', message);
    const bytes = Buffer.byteLength(JSON.stringify(message));
    // The only session on this server: what the server holds is what the session holds.
    expect(relay.server.bufferedBytes).toBe(bytes);
    startGate.open();
    await ran.promise;
    await ticks();
    expect(relay.server.bufferedBytes).toBe(0);
  });

  it('does not take a message over MAX_QUEUED_BYTES while a handler runs, and the session goes on', async () => {
    const { relay, bus, logs, peer, workflow, start } = await setUp({ maxQueuedBytes: 500 });
    const startGate = gate();
    const heard: unknown[] = [];
    const ran = deferred<void>();
    workflow.on(Event.START, () => startGate.wait);
    workflow.subscribe('t', (data) => {
      heard.push(data);
      ran.resolve();
    });
    await start();
    await expect(bus.publish('t', 'x'.repeat(600))).resolves.toBe(0);
    await expect(bus.publish('t', 'small')).resolves.toBe(1);
    startGate.open();
    await ran.promise;
    await ticks();
    expect(heard).toEqual(['small']);
    // A session the server closed would have sent its close frame before the pong.
    await peer.synced();
    expect(peer.socket.readyState).toBe(peer.socket.OPEN);
    expect(relay.server.sessions).toBe(1);
    expect(logs.lines().map((line) => line.msg)).toContain(
      'dropped a bus message: too many bytes waiting for their handlers',
    );
  });

  it('refuses a message that fails `accept`, without counting it or logging its data', async () => {
    const { bus, logs, workflow, start } = await setUp();
    await start();
    const heard: number[] = [];
    const ran = deferred<void>();
    const isNumber = (data: unknown): data is number => typeof data === 'number';
    workflow.subscribe(
      't',
      (n) => {
        heard.push(n + 1);
        ran.resolve();
      },
      { accept: isNumber },
    );
    await expect(bus.publish('t', 'secret words')).resolves.toBe(0);
    await expect(bus.publish('t', 41)).resolves.toBe(1);
    await ran.promise;
    await ticks();
    expect(heard).toEqual([42]);
    expect(logs.text()).not.toContain('secret words');
  });

  it('says how to get a bus when the workflow has none (a WebSocketHost given no context)', async () => {
    const registry = new WorkflowRegistry();
    const session = deferred<Workflow>();
    registry.add('bare', (workflow) => session.resolve(workflow));
    const host = new WebSocketHost({
      registry,
      logger: memoryLogger().logger,
      heartbeatMs: 50_000,
      maxPayloadBytes: 65_536,
      maxSessions: 1,
    });
    const server = createServer().on('upgrade', (request, socket, head) => host.handleUpgrade(request, socket, head));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const peer = await RelayPeer.connect(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/bare`);
    try {
      const workflow = await session.promise;
      expect(() => workflow.subscribe('t', () => undefined)).toThrow(/createWorkflowServer/);
    } finally {
      await peer.close();
      await host.close(0);
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
