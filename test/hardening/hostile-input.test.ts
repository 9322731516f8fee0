import WebSocket from 'ws';
import { createWorkflowServer, Event, type Workflow, type WorkflowServer } from '../../src';
import { simulate } from '../../src/testing';
import hello from '../../src/workflows/hello';
import { memoryLogger } from '../helpers/memory-logger';
import { rawExchange, statusOf, upgradeRequest } from '../helpers/raw-http';
import { RelayPeer, startEvent } from '../helpers/relay-peer';

const TOKEN = 'tok_0123456789abcdef-SECRET';

describe('hostile and broken input', () => {
  let server: WorkflowServer;
  let port: number;
  const logs = memoryLogger('debug');
  const starts = jest.fn();

  const recorder = (workflow: Workflow) => {
    workflow.on(Event.START, () => {
      starts();
    });
    workflow.on(Event.BUTTON, async () => {
      await workflow.setVar('pressed', 'yes');
    });
  };

  beforeAll(async () => {
    server = createWorkflowServer({
      logger: logs.logger,
      workflows: {
        hello,
        recorder,
        // Its start handler never returns: every later event waits in the queue.
        busy: (workflow: Workflow) => workflow.on(Event.START, () => new Promise(() => undefined)),
      },
      config: { maxPayloadBytes: 64 * 1024, maxSessions: 50 },
      headersTimeoutMs: 300,
    });
    ({ port } = await server.listen(0, '127.0.0.1'));
  });

  afterAll(() => server.close(0));
  beforeEach(() => starts.mockClear());

  const url = (path: string) => `ws://127.0.0.1:${port}${path}`;

  /** Runs `attack` while a healthy hello session runs; the healthy one must complete. */
  async function alongsideHealthy<T>(attack: () => Promise<T>): Promise<T> {
    const healthy = simulate(url('/hello'), { answers: ['Hal'] });
    const result = await attack();
    expect((await healthy).says).toEqual(['What is your name?', 'Hello Hal!']);
    return result;
  }

  async function closedAfterSending(data: string | Buffer, binary = false): Promise<number> {
    const peer = await RelayPeer.connect(url('/recorder'));
    peer.socket.send(data, { binary });
    return (await peer.closed).code;
  }

  it.each([
    ['invalid JSON', '{"_type": "wf_api_start_event"', 1007],
    ['a JSON value that is not an object', '[1, 2, 3]', 1007],
    ['a frame without _type', '{"trigger": {}}', 1002],
    ['a frame with a numeric _id', '{"_type": "wf_api_say_response", "_id": 7}', 1002],
  ])('closes only the session that sent %s, with the close code that fits', async (_what, data, code) => {
    expect(await alongsideHealthy(() => closedAfterSending(data))).toBe(code);
    expect(starts).not.toHaveBeenCalled();
  });

  it('closes a session that sends a binary frame with 1003', async () => {
    expect(await alongsideHealthy(() => closedAfterSending(Buffer.from([1, 2, 3]), true))).toBe(1003);
  });

  it('closes a session that sends more than MAX_PAYLOAD_BYTES with 1009', async () => {
    const big = JSON.stringify({ _type: 'wf_api_speech_event', audio: 'x'.repeat(70 * 1024) });
    expect(await alongsideHealthy(() => closedAfterSending(big))).toBe(1009);
  });

  it('ignores, with a warning, unknown types, stray responses, events before start and a second start', async () => {
    await alongsideHealthy(async () => {
      const peer = await RelayPeer.connect(url('/recorder'));
      peer.send({
        _type: 'wf_api_button_event',
        button: 'action',
        taps: 'single',
        source_uri: 'urn:relay-resource:name:device:x',
      });
      peer.send({ _type: 'wf_api_mystery_thing' });
      peer.send({ _type: 'wf_api_say_response', _id: 'nobody-asked' });
      peer.send({ _type: 'wf_api_start_event' });
      peer.send(startEvent());
      peer.send(startEvent());
      peer.send({
        _type: 'wf_api_button_event',
        button: 'action',
        taps: 'single',
        source_uri: 'urn:relay-resource:name:device:x',
      });
      // The button after the start is handled: its setVar is the proof the session still works.
      const setVar = await peer.nextOfType('wf_api_set_var_request');
      expect(setVar.value).toBe('yes');
      expect(peer.received.map((frame) => frame._type)).toEqual(['wf_api_set_var_request']);
      await peer.close();
    });
    expect(starts).toHaveBeenCalledTimes(1);
    const warnings = logs
      .lines()
      .filter((line) => line.level === 'warn')
      .map((line) => line.msg);
    expect(warnings).toEqual(
      expect.arrayContaining([
        'ignored an event before the start event',
        'ignored a frame of unknown _type',
        'ignored a response that answers no pending request',
        'ignored an event without a field it needs',
        'ignored a second start event',
      ]),
    );
  });

  it('closes a session that keeps sending frames it has no use for, with 1008', async () => {
    const peer = await RelayPeer.connect(url('/recorder'));
    for (let i = 0; i < 150; i++) peer.send({ _type: 'wf_api_mystery_thing' });
    expect((await peer.closed).code).toBe(1008);
  });

  it('closes a session that piles up events behind a busy handler, with 1008', async () => {
    const peer = await RelayPeer.connect(url('/busy'));
    peer.send(startEvent());
    const button = {
      _type: 'wf_api_button_event',
      button: 'action',
      taps: 'single',
      source_uri: 'urn:relay-resource:name:device:x',
    };
    for (let i = 0; i < 2_100; i++) peer.send(button);
    expect((await peer.closed).code).toBe(1008);
  });

  it('answers malformed, oversized and over-numerous upgrade headers with 4xx, and keeps serving', async () => {
    const malformed = await rawExchange(port, 'GET /hello HTTP/1.1\r\nHost: x\r\nUpgrade websocket\r\n\r\n');
    expect(statusOf(malformed)).toBe(400);
    const huge = await rawExchange(port, upgradeRequest('/hello', [`X-Big: ${'a'.repeat(20_000)}`]));
    expect(statusOf(huge)).toBe(431);
    const many = await rawExchange(
      port,
      upgradeRequest(
        '/hello',
        Array.from({ length: 3000 }, (_, i) => `X-H${i}: v`),
      ),
    );
    expect(statusOf(many)).toBe(431);
    const noKey = await rawExchange(port, upgradeRequest('/hello').replace(/Sec-WebSocket-Key: .*\r\n/, ''));
    expect(statusOf(noKey)).toBe(400);
    expect(starts).not.toHaveBeenCalled();
    await alongsideHealthy(() => Promise.resolve());
  });

  it('drops a handshake that never completes once the headers timeout passes', async () => {
    const reply = await rawExchange(port, 'GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
    expect(statusOf(reply)).toBe(408);
  });

  it('survives a storm of connections opened and dropped at once, then has no session left', async () => {
    await alongsideHealthy(async () => {
      const sockets = Array.from({ length: 400 }, () => new WebSocket(url('/recorder')));
      await Promise.all(
        sockets.map(
          (socket, i) =>
            new Promise<void>((resolve) => {
              socket.on('error', () => resolve());
              socket.on('close', () => resolve());
              if (i % 2 === 0) socket.on('open', () => socket.terminate());
              else socket.on('upgrade', () => socket.terminate());
            }),
        ),
      );
    });
    while (server.sessions > 0) await new Promise((resolve) => setImmediate(resolve));
    expect(server.sessions).toBe(0);
  });
});

describe('WORKFLOW_TOKEN and MAX_SESSIONS', () => {
  let server: WorkflowServer;
  let port: number;
  const logs = memoryLogger('debug');
  const opened = jest.fn();

  beforeAll(async () => {
    server = createWorkflowServer({
      logger: logs.logger,
      workflows: {
        hello,
        counted: (workflow: Workflow) => {
          opened();
          workflow.on(Event.START, async () => {
            await workflow.setVar('started', 'yes');
          });
        },
      },
      config: { workflowToken: TOKEN, maxSessions: 2 },
    });
    ({ port } = await server.listen(0, '127.0.0.1'));
  });
  afterAll(() => server.close(0));

  it('refuses an upgrade without the token, or with a wrong one, with 401 before any workflow code runs', async () => {
    for (const path of ['/counted', `/counted?token=${TOKEN}x`, '/counted?token=', `/nope?token=wrong`]) {
      await expect(RelayPeer.connect(`ws://127.0.0.1:${port}${path}`)).rejects.toMatchObject({ status: 401 });
    }
    expect(opened).not.toHaveBeenCalled();
  });

  it('lets the Relay server in with the token of the registered URL, and never logs it', async () => {
    const run = await simulate(`ws://127.0.0.1:${port}/hello?token=${TOKEN}`, { answers: ['Ivy'] });
    expect(run.says).toEqual(['What is your name?', 'Hello Ivy!']);
    expect(logs.text()).not.toContain(TOKEN);
    expect(logs.text()).not.toContain('tok_0123');
  });

  it('answers 503 with Retry-After beyond MAX_SESSIONS started sessions', async () => {
    const first = await RelayPeer.connect(`ws://127.0.0.1:${port}/counted?token=${TOKEN}`);
    const second = await RelayPeer.connect(`ws://127.0.0.1:${port}/counted?token=${TOKEN}`);
    first.send(startEvent());
    second.send(startEvent());
    await Promise.all([first.nextOfType('wf_api_set_var_request'), second.nextOfType('wf_api_set_var_request')]);
    await expect(RelayPeer.connect(`ws://127.0.0.1:${port}/counted?token=${TOKEN}`)).rejects.toMatchObject({
      status: 503,
    });
    expect(opened).toHaveBeenCalledTimes(2);
    await first.close();
    await second.close();
  });
});
