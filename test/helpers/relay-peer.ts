import { once } from 'node:events';
import WebSocket from 'ws';
import { createWorkflowServer, type WorkflowServer, type WorkflowServerOptions } from '../../src';
import type { WorkflowHandler } from '../../src/relay/workflow-registry';
import { buildStartEvent, deviceUrn, interactionUrn, writeInSingleWrite } from '../../src/sim/wire';
import { memoryLogger, type MemoryLogger } from './memory-logger';

/**
 * The one harness for playing the Relay server against a workflow frame by frame: {@link RelayPeer}
 * (a real WebSocket client), {@link startRelayServer} (a real server on port 0 to connect it to)
 * and the frames a test builds. Tests that only need a whole run use `simulate()` instead.
 */

/** A frame as the test peer sees it. */
export type Frame = { _type: string; _id?: string; [key: string]: unknown };

/** The device the tests play. */
export const DEVICE = deviceUrn("Ana's badge");

/** The start event of a phrase trigger from {@link DEVICE} (or `source`). */
export function startEvent(source = DEVICE) {
  return buildStartEvent('phrase', source);
}

/** The interaction URN the Relay server would send for an interaction `name` on `device`. */
export function interactionUri(name: string, device = DEVICE): string {
  return interactionUrn(name, device);
}

/** The response to a request, with extra fields. */
export function responseTo(request: Frame | undefined, body: Record<string, unknown> = {}): Frame {
  if (request === undefined) throw new Error('no request to answer');
  return { _id: request._id, _type: request._type.replace(/_request$/, '_response'), ...body };
}

/**
 * A minimal stand-in for the Relay server in tests: it connects like the Relay server does,
 * records every frame the workflow sends, and lets a test send events and responses, one by one
 * or several in one TCP write.
 */
export class RelayPeer {
  readonly received: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly unread: Frame[] = [];
  private readonly waiting: Array<{ accept: (frame: Frame) => boolean; resolve: (frame: Frame) => void }> = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => this.receive(JSON.parse(data.toString()) as Frame));
    this.closed = new Promise((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Opens a WebSocket; rejects with the HTTP status when the server refuses the upgrade. */
  static connect(url: string, options: WebSocket.ClientOptions = {}): Promise<RelayPeer> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, options);
      socket.once('open', () => resolve(new RelayPeer(socket)));
      socket.once('unexpected-response', (_request, response) => {
        reject(
          Object.assign(new Error(`upgrade refused with ${response.statusCode}`), { status: response.statusCode }),
        );
        socket.terminate();
      });
      socket.once('error', reject);
    });
  }

  send(frame: Frame): void {
    this.socket.send(JSON.stringify(frame));
  }

  /** Sends the response to `request`, with extra fields. */
  respond(request: Frame | undefined, body: Record<string, unknown> = {}): void {
    this.send(responseTo(request, body));
  }

  /**
   * Writes several frames in a single TCP write, so the server reads them in one go: the case
   * where 2.4.0 misses an event that follows its response.
   */
  sendTogether(frames: Frame[]): void {
    writeInSingleWrite(this.socket, frames);
  }

  /**
   * Resolves once the workflow's side has taken every frame sent before: it answers a ping only
   * after the messages ahead of it, and the pong crosses the network after whatever those
   * messages set off at once (a wait resolved, a timer restarted, a handler started).
   */
  async synced(): Promise<void> {
    const pong = once(this.socket, 'pong');
    this.socket.ping();
    await pong;
  }

  /** The next frame from the workflow that `accept` takes (the first unread one by default). */
  next(accept: (frame: Frame) => boolean = () => true): Promise<Frame> {
    const index = this.unread.findIndex(accept);
    if (index !== -1) return Promise.resolve(this.unread.splice(index, 1)[0] as Frame);
    return new Promise((resolve) => this.waiting.push({ accept, resolve }));
  }

  /** The next frame of a `_type`. */
  nextOfType(type: string): Promise<Frame> {
    return this.next((frame) => frame._type === type);
  }

  /** {@link next}, or a failure naming the last frame received if the workflow's side closes first. */
  nextOrFail(): Promise<Frame> {
    const closed = this.closed.then(({ code }) => {
      const last = this.received.at(-1)?._type ?? 'nothing';
      throw new Error(
        `the workflow side closed (code ${code}) after ${this.received.length} frames; the last was ${last}`,
      );
    });
    closed.catch(() => undefined); // only the race below reports it
    return Promise.race([this.next(), closed]);
  }

  close(code = 1000): Promise<{ code: number; reason: string }> {
    this.socket.close(code);
    return this.closed;
  }

  private receive(frame: Frame): void {
    this.received.push(frame);
    const index = this.waiting.findIndex((wait) => wait.accept(frame));
    if (index === -1) {
      this.unread.push(frame);
      return;
    }
    const [wait] = this.waiting.splice(index, 1);
    wait?.resolve(frame);
  }
}

/**
 * `jest.useFakeTimers(FAKE_TIMERS)` fakes the timers and Date only: the workflow's timers follow
 * the test's clock while socket I/O, and the awaits on it, run as usual.
 */
export const FAKE_TIMERS = {
  doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'queueMicrotask', 'hrtime', 'performance'],
} satisfies Parameters<typeof jest.useFakeTimers>[0];

/** A workflow server listening on port 0 of 127.0.0.1, and the peers a test connects to it. */
export interface RelayTestServer {
  server: WorkflowServer;
  /** What the server logged. */
  logs: MemoryLogger;
  /** The port it listens on. */
  port: number;
  /** `127.0.0.1:<port>`, for plain HTTP requests. */
  base: string;
  /** The ws:// URL of a path (`hello`, `hello?token=x`). */
  url(path: string): string;
  /** Registers `handler` under a fresh name; returns its ws:// URL. */
  serve(handler: WorkflowHandler): string;
  /** Serves `handler` under a fresh name and connects a peer to it. */
  connect(handler: WorkflowHandler, options?: WebSocket.ClientOptions): Promise<RelayPeer>;
  close(): Promise<void>;
}

/**
 * Starts `createWorkflowServer(options)` on a free port, logging to `logs` (a fresh memory logger
 * at info by default): for tests that play the Relay server against one workflow each
 * (`connect(handler)`), or against the workflows in `options` (`RelayPeer.connect(url('hello'))`).
 * The heartbeat is 50 s unless the config says otherwise, so no ping interrupts a test.
 */
export async function startRelayServer({
  logs = memoryLogger(),
  ...options
}: Omit<WorkflowServerOptions, 'logger'> & { logs?: MemoryLogger } = {}): Promise<RelayTestServer> {
  const server = createWorkflowServer({
    ...options,
    logger: logs.logger,
    config: { heartbeatMs: 50_000, ...options.config },
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const base = `127.0.0.1:${port}`;
  const url = (path: string) => `ws://${base}/${path.replace(/^\//, '')}`;
  let count = 0;
  const serve = (handler: WorkflowHandler) => {
    const name = `wf${++count}`;
    server.workflow(name, handler);
    return url(name);
  };
  return {
    server,
    logs,
    port,
    base,
    url,
    serve,
    connect: (handler, peerOptions) => RelayPeer.connect(serve(handler), peerOptions),
    close: () => server.close(0),
  };
}

/** Opens `url` expecting the server to refuse the upgrade: resolves with the HTTP status and headers of the refusal. */
export function upgradeRefusal(url: string): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
      socket.terminate();
    });
    socket.once('open', () => reject(new Error('the upgrade was accepted')));
    socket.once('error', (error) => {
      if (!error.message.startsWith('Unexpected server response')) reject(error);
    });
  });
}
