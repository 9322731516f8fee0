import { randomBytes } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Frame } from './relay-peer';

/**
 * The workflow side of the wire, written by hand, for testing the simulator (RelaySimulator,
 * simulate) apart from any runtime: it sends request frames and reads events. The opposite of
 * relay-peer.ts, which plays the Relay side against a workflow. It also notes which TCP read each
 * frame came in, to tell frames written together from frames written apart.
 */
export class WireWorkflow {
  /** Every frame the simulator sent, in order. */
  readonly received: Frame[] = [];
  /** The TCP read (chunk number) each received frame arrived in. */
  readonly readOf = new Map<Frame, number>();
  private reads = 0;
  private readonly unread: Frame[] = [];
  private readonly waiting: Array<{ accept: (frame: Frame) => boolean; resolve: (frame: Frame) => void }> = [];

  /** `connection` is the TCP socket under `socket` (the upgrade request's). */
  constructor(
    readonly socket: WebSocket,
    connection: Socket,
  ) {
    socket.on('message', (data: Buffer) => this.receive(JSON.parse(data.toString()) as Frame));
    // Added after ws's own listener: it runs once ws has emitted every message of this chunk.
    connection.on('data', () => {
      this.reads += 1;
    });
  }

  /** The start event (the first frame). */
  start(): Promise<Frame> {
    return this.event('wf_api_start_event');
  }

  /** Sends `wf_api_<action>_request` and resolves with its response or error response. */
  request(action: string, payload: Record<string, unknown> = {}, target?: string[]): Promise<Frame> {
    const id = randomBytes(16).toString('hex');
    const answer = this.next((frame) => frame._id === id);
    this.send({
      _id: id,
      _type: `wf_api_${action}_request`,
      ...(target === undefined ? {} : { _target: { uris: target } }),
      ...payload,
    });
    return answer;
  }

  /** The next unread event of a type that `accept` takes. */
  event(type: string, accept: (frame: Frame) => boolean = () => true): Promise<Frame> {
    return this.next((frame) => frame._type === type && frame._id === undefined && accept(frame));
  }

  /** Sends terminate and waits for the stop event. */
  async terminate(): Promise<Frame> {
    this.send({ _id: randomBytes(16).toString('hex'), _type: 'wf_api_terminate_request' });
    return this.event('wf_api_stop_event');
  }

  send(frame: Frame): void {
    this.socket.send(JSON.stringify(frame));
  }

  private next(accept: (frame: Frame) => boolean): Promise<Frame> {
    const index = this.unread.findIndex(accept);
    if (index !== -1) return Promise.resolve(this.unread.splice(index, 1)[0] as Frame);
    return new Promise((resolve) => this.waiting.push({ accept, resolve }));
  }

  private receive(frame: Frame): void {
    this.received.push(frame);
    this.readOf.set(frame, this.reads);
    const index = this.waiting.findIndex((wait) => wait.accept(frame));
    if (index === -1) {
      this.unread.push(frame);
      return;
    }
    this.waiting.splice(index, 1)[0]?.resolve(frame);
  }
}

export interface WireServer {
  url: string;
  /** The latest run's workflow and how its script ended. */
  lastRun(): Promise<{ workflow: WireWorkflow; outcome: Promise<unknown> }>;
  close(): Promise<void>;
}

/**
 * Serves `script` at ws://127.0.0.1:<free port>/wire: each connection runs it once. A script
 * that throws closes the connection with 1011, as a failed workflow would.
 */
export async function serveWireWorkflow(script: (workflow: WireWorkflow) => Promise<unknown>): Promise<WireServer> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const runs: Array<{ workflow: WireWorkflow; outcome: Promise<unknown> }> = [];
  const connected: Array<(run: { workflow: WireWorkflow; outcome: Promise<unknown> }) => void> = [];
  wss.on('connection', (socket, request) => {
    const workflow = new WireWorkflow(socket, request.socket);
    const outcome = script(workflow).catch((error: unknown) => {
      socket.close(1011, 'workflow failed');
      throw error;
    });
    outcome.catch(() => undefined);
    const run = { workflow, outcome };
    runs.push(run);
    connected.splice(0).forEach((resolve) => resolve(run));
  });
  const { port } = wss.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/wire`,
    lastRun: () => {
      const last = runs.at(-1);
      return last !== undefined ? Promise.resolve(last) : new Promise((resolve) => connected.push(resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}
