import { connect, type Socket } from 'node:net';
import { upgradeRequest } from './raw-http';

/**
 * A WebSocket client written byte by byte, for what a well-behaved client library will not send:
 * half a message, a reserved opcode. It reads the server's frames only far enough to find a close
 * frame and its code.
 */
export interface RawWebSocket {
  socket: Socket;
  /** Resolves with the code of the server's close frame, or 1006 if the connection ended without one. */
  closed: Promise<number>;
  /** Writes one client frame (masked with a zero key, so the payload goes as it is). */
  writeFrame(
    opcode: number,
    payload: Buffer,
    { fin, announcedLength }?: { fin?: boolean; announcedLength?: number },
  ): void;
}

/** Opens a WebSocket on `path` with a raw upgrade request; resolves once the server answered 101. */
export function openRawWebSocket(port: number, path: string): Promise<RawWebSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffered = Buffer.alloc(0);
    let upgraded = false;
    let settleClosed: (code: number) => void = () => undefined;
    const closed = new Promise<number>((done) => (settleClosed = done));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      settleClosed(1006);
      if (!upgraded) reject(new Error(`the upgrade was refused: ${buffered.toString().split('\r\n')[0]}`));
    });
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!upgraded) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end === -1) return;
        if (!buffered.subarray(0, 12).toString().includes('101')) return;
        upgraded = true;
        buffered = buffered.subarray(end + 4);
        resolve({
          socket,
          closed,
          writeFrame: (opcode, payload, options) => socket.write(clientFrame(opcode, payload, options)),
        });
      }
      // A server close frame: 0x88, a 7-bit length (a close payload is short), then the code.
      const at = buffered.indexOf(0x88);
      if (at !== -1 && buffered.length >= at + 4) settleClosed(buffered.readUInt16BE(at + 2));
    });
    socket.write(upgradeRequest(path));
  });
}

function clientFrame(opcode: number, payload: Buffer, { fin = true, announcedLength = payload.length } = {}): Buffer {
  const length = announcedLength;
  const lengthBytes = length < 126 ? 0 : length < 65_536 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + 4);
  header[0] = (fin ? 0x80 : 0) | opcode;
  if (lengthBytes === 0) header[1] = 0x80 | length;
  else if (lengthBytes === 2) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  // The mask key stays 0,0,0,0: masking with it leaves the payload as it is.
  return Buffer.concat([header, payload]);
}
