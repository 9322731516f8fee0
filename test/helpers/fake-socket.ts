import { EventEmitter } from 'node:events';
import type { WebSocket } from 'ws';
import { Session } from '../../src/relay/session';
import { Workflow } from '../../src/relay/workflow';
import type { Frame } from './relay-peer';
import { memoryLogger } from './memory-logger';

/**
 * Just enough of a `ws` WebSocket for a {@link Session}: it records what is sent and delivers
 * frames synchronously, so tests can use fake timers. Tests that need the network use RelayPeer.
 */
export class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readonly CLOSED = 3;
  readyState = 1;
  readonly sent: Frame[] = [];

  send(data: string, done?: (err?: Error) => void): void {
    this.sent.push(JSON.parse(data) as Frame);
    done?.();
  }

  /** Delivers frames one after another in the same tick, as `ws` does for one TCP read. */
  deliver(...frames: Frame[]): void {
    for (const frame of frames) this.emit('message', Buffer.from(JSON.stringify(frame)), false);
  }

  ping(): void {}

  terminate(): void {
    this.close(1006);
  }

  close(code = 1000): void {
    if (this.readyState === this.CLOSED) return;
    this.readyState = this.CLOSED;
    this.emit('close', code, Buffer.from(''));
  }
}

/**
 * A Workflow on a fake socket; close the socket to close its session. The start event has
 * already arrived (the session ignores other events before it).
 */
export function workflowOnFakeSocket(): { workflow: Workflow; socket: FakeSocket } {
  const socket = new FakeSocket();
  const session = new Session({
    socket: socket as unknown as WebSocket,
    logger: memoryLogger().logger,
    id: 'test',
  });
  socket.deliver({
    _type: 'wf_api_start_event',
    trigger: { type: 'phrase', args: { source_uri: 'urn:relay-resource:name:device:Test' } },
  });
  return { workflow: new Workflow(session), socket };
}

/** The response to a request, with extra fields. */
export function responseTo(request: Frame | undefined, body: Record<string, unknown> = {}): Frame {
  if (request === undefined) throw new Error('no request to answer');
  return { _id: request._id, _type: request._type.replace(/_request$/, '_response'), ...body };
}
