import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import WebSocket from 'ws';

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
    this.closed = new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** Opens a WebSocket; rejects with the HTTP status when the server refuses the upgrade. */
  static connect(url: string, options: WebSocket.ClientOptions = {}): Promise<RelayPeer> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, options);
      socket.once('open', () => resolve(new RelayPeer(socket)));
      socket.once('unexpected-response', (_request, response) => {
        reject(Object.assign(new Error(`upgrade refused with ${response.statusCode}`), { status: response.statusCode }));
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
    const raw = (this.socket as unknown as { _socket: Socket })._socket;
    raw.write(Buffer.concat(frames.map((frame) => maskedTextFrame(JSON.stringify(frame)))));
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

/** One masked, final text frame, as a WebSocket client must send it (RFC 6455 section 5.2). */
function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const length = payload.length;
  const header = length < 126 ? Buffer.alloc(2) : length < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = 0x81;
  if (length < 126) header[1] = 0x80 | length;
  else if (length < 65_536) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = (payload[i] as number) ^ (mask[i % 4] as number);
  return Buffer.concat([header, mask, masked]);
}
