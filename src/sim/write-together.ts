import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type WebSocket from 'ws';

/**
 * Writes several JSON frames in a single TCP write, so the workflow reads them in one go: the
 * case where 2.4.0 misses an event that arrives with its response (protocol doc section 7.1).
 * `ws` has no API for this, so the frames are masked here (RFC 6455 section 5.3, as a client must)
 * and written to the underlying socket.
 */
export function writeTogether(socket: WebSocket, frames: object[]): void {
  const raw = (socket as unknown as { _socket?: Socket })._socket;
  if (raw === undefined || !raw.writable) return;
  raw.write(Buffer.concat(frames.map((frame) => maskedTextFrame(JSON.stringify(frame)))));
}

function maskedTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const length = payload.length;
  const header = length < 126 ? Buffer.alloc(2) : length < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = 0x81; // FIN + text frame
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
