import WebSocket from 'ws';
import { writeInSingleWrite } from '../../src/sim/wire';

/** A frame as the test peer sees it. */
export type Frame = { _type: string; _id?: string; [key: string]: unknown };

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

  /**
   * Writes several frames in a single TCP write, so the server reads them in one go: the case
   * where 2.4.0 misses an event that follows its response.
   */
  sendTogether(frames: Frame[]): void {
    writeInSingleWrite(this.socket, frames);
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
