import WebSocket from 'ws';
import { createWorkflowServer, Event, type Workflow, type WorkflowServer } from '../../src';
import { simulate } from '../../src/testing';
import hello from '../../src/workflows/hello';
import { memoryLogger } from '../helpers/memory-logger';
import { openRawWebSocket } from '../helpers/raw-websocket';
import { DEVICE, RelayPeer, startEvent } from '../helpers/relay-peer';

/**
 * The holes a hostile peer found (issue "One frame must never take the server down"), one test
 * each, on real sockets, with a healthy hello session running alongside where it matters.
 */

const KIB = 1024;
const button = (padding = 0) => ({
  _type: 'wf_api_button_event',
  button: 'action',
  taps: 'single',
  source_uri: DEVICE,
  padding: 'p'.repeat(padding),
});

/** Resolves once `condition` holds, checking after each turn of the event loop. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe('a hostile peer', () => {
  let server: WorkflowServer;
  let port: number;
  const logs = memoryLogger('info');
  const handled = jest.fn();

  const workflows = {
    hello,
    // Its start handler never returns: every later event waits in the queue.
    busy: (workflow: Workflow) => workflow.on(Event.START, () => new Promise(() => undefined)),
    recorder: (workflow: Workflow) => {
      workflow.on(Event.START, () => undefined);
      workflow.on(Event.BUTTON, async () => {
        handled();
        await workflow.setVar('pressed', 'yes');
      });
    },
    // Speaks to whatever source_uri the peer sent: a bad one fails inside the runtime with the value in the error.
    echo: (workflow: Workflow) => {
      workflow.on(Event.START, () => undefined);
      workflow.on(Event.BUTTON, async ({ source_uri }) => {
        await workflow.say([source_uri], 'pressed');
      });
    },
    silent: () => undefined,
  };

  beforeAll(async () => {
    server = createWorkflowServer({
      logger: logs.logger,
      workflows,
      config: {
        maxPayloadBytes: 256 * KIB,
        maxQueuedBytes: 512 * KIB,
        maxBufferedBytes: 1024 * KIB,
        maxSessions: 40,
        startTimeoutMs: 300,
      },
    });
    ({ port } = await server.listen(0, '127.0.0.1'));
  });

  afterAll(() => server.close(0));
  beforeEach(() => handled.mockClear());

  const url = (path: string) => `ws://127.0.0.1:${port}${path}`;

  /** Runs `attack` while a healthy hello session runs; the healthy one must complete, and one after it too. */
  async function alongsideHealthy<T>(attack: () => Promise<T>): Promise<T> {
    const during = simulate(url('/hello'), { answers: ['Hal'] });
    const result = await attack();
    expect((await during).says).toEqual(['What is your name?', 'Hello Hal!']);
    expect((await simulate(url('/hello'), { answers: ['Ida'] })).says).toEqual(['What is your name?', 'Hello Ida!']);
    return result;
  }

  async function started(path: string): Promise<RelayPeer> {
    const peer = await RelayPeer.connect(url(path));
    peer.send(startEvent());
    return peer;
  }

  it('closes a session whose queued events pass MAX_QUEUED_BYTES with 1008, and gives its bytes back', async () => {
    const code = await alongsideHealthy(async () => {
      const peer = await started('/busy');
      for (let i = 0; i < 3; i++) peer.send(button(200 * KIB));
      return (await peer.closed).code;
    });
    expect(code).toBe(1008);
    await until(() => server.sessions === 0);
    expect(server.bufferedBytes).toBe(0);
  });

  it('sheds the session holding the most when all together pass MAX_BUFFERED_BYTES, and keeps the others', async () => {
    const small = await started('/busy');
    small.send(button(10 * KIB));
    // Each queues 400 KiB, under the session's 512 KiB; the third takes the process past its 1 MiB.
    const large = [await started('/busy'), await started('/busy'), await started('/busy')];
    for (const peer of large) for (let i = 0; i < 2; i++) peer.send(button(200 * KIB));
    const shed = await Promise.race(large.map((peer) => peer.closed));
    expect(shed.code).toBe(1008);
    expect(shed.reason).toBe('server memory limit');
    expect(small.socket.readyState).toBe(WebSocket.OPEN);
    expect(large.filter((peer) => peer.socket.readyState === WebSocket.OPEN)).toHaveLength(2);
    expect(server.bufferedBytes).toBeLessThanOrEqual(1024 * KIB);
    expect(
      logs.lines().some((line) => String(line.msg).startsWith('closing the session that holds the most bytes')),
    ).toBe(true);
    await Promise.all([small, ...large].map((peer) => peer.close()));
    await until(() => server.sessions === 0);
    expect(server.bufferedBytes).toBe(0);
  });

  it('closes a session that sends no start event within START_TIMEOUT_MS, so it stops counting', async () => {
    const peer = await RelayPeer.connect(url('/recorder'));
    expect(await peer.closed).toEqual({ code: 1008, reason: 'no start event within 300 ms' });
    await until(() => server.sessions === 0);
    expect(
      logs.lines().find((line) => line.msg === 'session closed' && line.endedBy === 'start-timeout'),
    ).toBeDefined();
  });

  it('closes a peer that floods made-up event types with 1008, counting them even after a start', async () => {
    const code = await alongsideHealthy(async () => {
      const peer = await started('/recorder');
      for (let i = 0; i < 300; i++) peer.send({ _type: `wf_api_made_up_${i}_event` });
      return peer.closed;
    });
    expect(code).toEqual({ code: 1008, reason: 'too many frames that are not part of this session' });
  });

  it('closes a peer that floods events the workflow does not handle, but lets a group-sized burst through', async () => {
    const peer = await started('/recorder');
    const prompt = { _type: 'wf_api_prompt_event', type: 'started', source_uri: DEVICE };
    for (let i = 0; i < 800; i++) peer.send(prompt);
    peer.send(button());
    const setVar = await peer.nextOfType('wf_api_set_var_request');
    peer.send({ _id: setVar._id, _type: 'wf_api_set_var_response', name: 'pressed', value: 'yes' });
    expect(peer.socket.readyState).toBe(WebSocket.OPEN);
    for (let i = 0; i < 2_000; i++) peer.send(prompt);
    expect(await peer.closed).toEqual({ code: 1008, reason: 'too many events that no handler takes' });
  });

  it('refuses a frame with more values than any Relay frame has before parsing it, with 1009', async () => {
    const closed = await alongsideHealthy(async () => {
      const peer = await started('/recorder');
      // 150 KB, well under MAX_PAYLOAD_BYTES: it is the count of values that is refused, not the size.
      const values = Array.from({ length: 25_000 }, () => '"a":0').join(',');
      peer.socket.send(`{"_type":"wf_api_button_event",${values}}`);
      return peer.closed;
    });
    expect(closed).toEqual({ code: 1009, reason: 'frame has more than 20000 values' });
  });

  it('refuses deeply nested arrays the same way, though they hold almost no commas', async () => {
    const peer = await started('/recorder');
    peer.socket.send(`{"_type":"wf_api_button_event","a":${'['.repeat(25_000)}${']'.repeat(25_000)}}`);
    expect(await peer.closed).toEqual({ code: 1009, reason: 'frame has more than 20000 values' });
  });

  it('ignores a lifecycle event whose type is an object with a non-callable toString, and the session goes on', async () => {
    const peer = await started('/recorder');
    peer.socket.send('{"_type":"wf_api_interaction_lifecycle_event","type":{"toString":1},"source_uri":"x"}');
    peer.send(button());
    expect((await peer.nextOfType('wf_api_set_var_request')).value).toBe('yes');
    expect(handled).toHaveBeenCalledTimes(1);
    expect(logs.lines().find((line) => line.msg === 'ignored an event without a field it needs')).toMatchObject({
      missing: 'a string type',
    });
    await peer.close();
  });

  it('keeps every log line under a few KB when the peer sends megabyte values', async () => {
    const before = logs.lines().length;
    const peer = await started('/echo');
    peer.send({ ...button(), source_uri: `urn:${'u'.repeat(200 * KIB)}` });
    peer.send({ _type: 'x'.repeat(200 * KIB) });
    await until(() =>
      logs
        .lines()
        .slice(before)
        .some((line) => line.msg === 'workflow handler failed'),
    );
    await peer.close();
    await until(() => server.sessions === 0);
    const lines = logs.text().split('\n').slice(before);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line.length).toBeLessThan(4 * KIB);
  });

  it('closes a ping flood with 1008 and says why', async () => {
    const peer = await started('/recorder');
    for (let i = 0; i < 200; i++) peer.socket.ping();
    expect(await peer.closed).toEqual({ code: 1008, reason: 'too many pings' });
  });

  it('logs a WebSocket protocol error as what it is', async () => {
    const before = logs.lines().length;
    const peer = await openRawWebSocket(port, '/recorder');
    peer.writeFrame(0x3, Buffer.from('reserved opcode'));
    expect(await peer.closed).toBe(1002);
    // The peer never answers the close frame: it is cut off, rather than kept for ws's 30 s close timeout.
    const after = () => logs.lines().slice(before);
    await until(() => after().some((line) => line.msg === 'session closed' && line.endedBy === 'protocol-error'));
    expect(after().find((line) => line.msg === 'closing a session that broke the WebSocket protocol')).toMatchObject({
      code: 'WS_ERR_INVALID_OPCODE',
    });
  });
});

describe('sessions that never start, at MAX_SESSIONS', () => {
  it('are cut off to make room for a new session, so they cannot lock Relay out', async () => {
    const logs = memoryLogger('info');
    // Sessions without a start event become evictable after a tenth of the deadline: 500 ms here.
    const server = createWorkflowServer({
      logger: logs.logger,
      workflows: { hello },
      config: { maxSessions: 2, startTimeoutMs: 5_000 },
    });
    const { port } = await server.listen(0, '127.0.0.1');
    try {
      const idle = [
        await RelayPeer.connect(`ws://127.0.0.1:${port}/hello`),
        await RelayPeer.connect(`ws://127.0.0.1:${port}/hello`),
      ];
      // A younger idle session may be Relay's with its start on the way: it is not cut off.
      await expect(RelayPeer.connect(`ws://127.0.0.1:${port}/hello`)).rejects.toMatchObject({ status: 503 });
      // Time itself is what makes them evictable: nothing to await but the clock.
      await new Promise((resolve) => setTimeout(resolve, 600));
      const run = await simulate(`ws://127.0.0.1:${port}/hello`, { answers: ['Uma'] });
      expect(run.says).toEqual(['What is your name?', 'Hello Uma!']);
      expect((await idle[0]?.closed)?.code).toBe(1006);
      expect(idle[1]?.socket.readyState).toBe(WebSocket.OPEN);
      await idle[1]?.close();
    } finally {
      await server.close(0);
    }
  });
});

describe('messages still arriving', () => {
  it('count toward MAX_BUFFERED_BYTES, so many half-sent messages cannot pass it', async () => {
    const logs = memoryLogger('info');
    const server = createWorkflowServer({
      logger: logs.logger,
      workflows: { hello, silent: () => undefined },
      config: {
        maxPayloadBytes: 256 * KIB,
        maxQueuedBytes: 256 * KIB,
        maxBufferedBytes: 1024 * KIB,
        startTimeoutMs: 30_000,
      },
    });
    const { port } = await server.listen(0, '127.0.0.1');
    try {
      const peers = await Promise.all([1, 2, 3, 4, 5, 6].map(() => openRawWebSocket(port, '/silent')));
      // Text frames announcing 250 KiB, of which 200 KiB arrive: ws buffers each, waiting for the rest.
      for (const peer of peers) peer.writeFrame(0x1, Buffer.alloc(200 * KIB, 0x20), { announcedLength: 250 * KIB });
      expect(await Promise.any(peers.map((peer) => peer.closed))).toBe(1008);
      expect(server.bufferedBytes).toBeLessThanOrEqual(1024 * KIB);
      expect(
        logs.lines().some((line) => String(line.msg).startsWith('closing the session that holds the most bytes')),
      ).toBe(true);
      const run = await simulate(`ws://127.0.0.1:${port}/hello`, { answers: ['Eve'] });
      expect(run.says).toEqual(['What is your name?', 'Hello Eve!']);
      for (const peer of peers) peer.socket.destroy();
      await until(() => server.sessions === 0);
      expect(server.bufferedBytes).toBe(0);
    } finally {
      await server.close(0);
    }
  });
});
