import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { Dispatcher } from './dispatcher';
import { RelayError, RelayErrorCode } from './errors';
import { eventName, eventPayload, isFrameProblem, missingField, parseFrame, textOf, type Frame } from './frame';
import { PendingWaits, type EventWatch, type ResponseBody } from './pending-waits';
import { Timeouts } from './timeouts';

/** Random bytes drawn in blocks: one randomBytes call per id was 6% of the server's CPU under load. */
const ID_BLOCK = 4096;
let idPool = Buffer.alloc(0);
let idOffset = 0;

/** A fresh request id: 32 lowercase hex characters, as 2.4.0 makes them. */
export function makeId(): string {
  if (idOffset + 16 > idPool.length) {
    idPool = randomBytes(ID_BLOCK);
    idOffset = 0;
  }
  idOffset += 16;
  return idPool.toString('hex', idOffset - 16, idOffset);
}

/** How a session ended, as logged on `session closed`. */
export type SessionEnd =
  | 'peer-closed'
  | 'heartbeat-timeout'
  | 'server-shutdown'
  | 'after-stop'
  | 'workflow-failed'
  | 'protocol-error';

/** After a `stop` event the Relay server closes the socket; if it does not, the session does. */
const CLOSE_AFTER_STOP_MS = 5_000;

/** A peer whose frames are ignored this often is not the Relay server; it is closed with 1008. */
const MAX_IGNORED_FRAMES = 100;

/**
 * Events waiting behind a running handler. The Relay server sends a handful at a time; a peer
 * that piles up more (each up to MAX_PAYLOAD_BYTES) is closed with 1008 before memory grows.
 */
const MAX_QUEUED_EVENTS = 256;

/**
 * What a frame looks like in a debug line: its type, id and the names of its fields. Payloads
 * nest secrets under names no list of private fields knows (trigger args, push options, call
 * passwords), so their values appear only when the owner opts in with LOG_PRIVATE_DATA.
 */
function outline(frame: Frame): { _type: string; _id?: string; fields: string[] } {
  const { _type, _id, ...rest } = frame;
  return { _type, _id, fields: Object.keys(rest) };
}

export interface SessionOptions {
  socket: WebSocket;
  log: Logger;
  id: string;
  onClosed: (session: Session) => void;
  /** Log whole frames at debug (LOG_PRIVATE_DATA); otherwise only their {@link outline}. */
  logPayloads?: boolean;
}

/**
 * One WebSocket conversation with the Relay server: it sends requests, routes every incoming
 * frame to the wait or handler it belongs to, and on close releases everything it holds.
 * Workflow code never sees it; it talks to the {@link Workflow} built on top.
 */
export class Session {
  readonly id: string;
  readonly log: Logger;
  readonly dispatcher: Dispatcher;
  readonly waits = new PendingWaits();
  /** Whether the peer answered the last ping; the heartbeat reads and resets it. */
  alive = true;
  private readonly socket: WebSocket;
  private readonly startedAt = Date.now();
  private endedBy?: SessionEnd;
  private started = false;
  private ignored = 0;
  private stopTimer?: NodeJS.Timeout;
  private readonly onClosed: (session: Session) => void;
  private readonly logPayloads: boolean;

  constructor({ socket, log, id, onClosed, logPayloads = false }: SessionOptions) {
    this.id = id;
    this.logPayloads = logPayloads;
    this.socket = socket;
    this.log = log;
    this.onClosed = onClosed;
    this.dispatcher = new Dispatcher(log);
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('pong', () => {
      this.alive = true;
    });
    socket.on('error', (err) => this.log.warn({ err }, 'websocket error'));
    socket.once('close', (code, reason) => this.closed(code, reason.toString()));
  }

  get isOpen(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  /**
   * Sends `wf_api_<action>_request` and resolves with the response body. The wait is registered
   * before the frame is written, so no response can arrive unseen.
   */
  request(action: string, payload: object, options: RequestOptions = {}): Promise<ResponseBody> {
    const { id = makeId(), target, timeoutMs = Timeouts.RESPONSE_MS } = options;
    if (!this.isOpen) return Promise.reject(this.notConnected(action));
    const frame: Frame = { _id: id, _type: `wf_api_${action}_request`, _target: target, ...payload };
    let text: string;
    try {
      // Encoded before the wait exists: a payload JSON cannot hold (a BigInt, a cycle) leaves nothing behind.
      text = JSON.stringify(frame);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const response = this.waits.expectResponse(id, action, timeoutMs);
    // No write callback: a write that fails destroys the socket, and its close rejects every wait
    // (with NOT_CONNECTED). A callback per frame would cost a closure and a tick on every request.
    this.write(frame, text);
    return response;
  }

  /** Sends a frame that expects no response (such as `wf_api_terminate_request`); resolves once it is written. */
  send(frame: Frame): Promise<void> {
    if (!this.isOpen) return Promise.reject(this.notConnected(frame._type));
    return new Promise((resolve, reject) => {
      this.write(frame, JSON.stringify(frame), (error) => (error === undefined ? resolve() : reject(error)));
    });
  }

  /** Starts collecting events of a `_type`; see {@link EventWatch}. */
  watch(type: string): EventWatch {
    return this.waits.watch(type);
  }

  /** Sends a ping; the heartbeat calls this. */
  ping(): void {
    if (!this.isOpen) return;
    this.alive = false;
    this.socket.ping();
  }

  /** Ends the session with a close frame (or abruptly when `code` is undefined), noting why. */
  end(reason: SessionEnd, code?: number, text = ''): void {
    this.endedBy ??= reason;
    if (code === undefined) this.socket.terminate();
    else this.socket.close(code, text);
  }

  /** Resolves once the socket has closed. */
  whenClosed(): Promise<void> {
    if (this.socket.readyState === this.socket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  /** Writes one frame (`text` is its JSON); `done`, if given, is called once it is written, or with SEND_FAILED. */
  private write(frame: Frame, text: string, done?: (error?: RelayError) => void): void {
    if (this.log.isLevelEnabled('debug')) this.log.debug({ frame: this.logPayloads ? frame : outline(frame) }, 'frame sent');
    if (done === undefined) {
      this.socket.send(text);
      return;
    }
    this.socket.send(text, (err) => {
      done(err === undefined || err === null ? undefined : new RelayError(RelayErrorCode.SEND_FAILED, `${RelayErrorCode.SEND_FAILED}: ${err.message}`));
    });
  }

  private notConnected(what: string): RelayError {
    return new RelayError(
      RelayErrorCode.NOT_CONNECTED,
      `${RelayErrorCode.NOT_CONNECTED}: cannot send ${what}, the session with the Relay server has closed`,
    );
  }

  /**
   * Routes one incoming message. Frames that break the protocol close this session (and only
   * it); frames that are well formed but unexpected are ignored with a warning.
   */
  private receive(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.refuse(1003, 'binary frames are not part of the Relay protocol');
      return;
    }
    const frame = parseFrame(textOf(data));
    if (isFrameProblem(frame)) {
      this.refuse(frame.closeCode, frame.problem);
      return;
    }
    if (this.log.isLevelEnabled('debug')) this.log.debug({ frame: this.logPayloads ? frame : outline(frame) }, 'frame received');
    if (frame._id !== undefined) {
      if (!this.waits.deliverResponse(frame)) this.ignore(frame, 'ignored a response that answers no pending request');
      return;
    }
    const name = eventName(frame._type);
    if (name === undefined) return this.ignore(frame, 'ignored a frame of unknown _type');
    const missing = missingField(name, frame);
    if (missing !== undefined) return this.ignore(frame, `ignored a ${name} event without ${missing}`);
    if (name === 'start' && this.started) return this.ignore(frame, 'ignored a second start event');
    if (name !== 'start' && !this.started) return this.ignore(frame, 'ignored an event before the start event');
    if (this.dispatcher.backlog >= MAX_QUEUED_EVENTS) {
      this.refuse(1008, 'too many events waiting for their handlers');
      return;
    }
    this.started = true;
    this.waits.deliverEvent(frame);
    if (name === 'stop') this.closeSoonAfterStop();
    this.dispatcher.dispatch(name, eventPayload(frame));
  }

  private refuse(code: 1002 | 1003 | 1007 | 1008, problem: string): void {
    this.log.warn({ closeCode: code, problem }, 'closing a session that broke the Relay protocol');
    this.end('protocol-error', code, problem);
  }

  private ignore(frame: Frame, message: string): void {
    this.log.warn({ type: frame._type.slice(0, 100) }, message);
    this.ignored += 1;
    if (this.ignored === MAX_IGNORED_FRAMES) this.refuse(1008, 'too many frames that are not part of this session');
  }

  private closeSoonAfterStop(): void {
    if (this.stopTimer !== undefined) return;
    this.stopTimer = setTimeout(() => this.end('after-stop', 1000, 'workflow stopped'), CLOSE_AFTER_STOP_MS);
  }

  private closed(code: number, reason: string): void {
    clearTimeout(this.stopTimer);
    this.waits.rejectAll(
      () =>
        new RelayError(
          RelayErrorCode.NOT_CONNECTED,
          `${RelayErrorCode.NOT_CONNECTED}: the session with the Relay server closed (code ${code}) while this action was pending`,
        ),
    );
    if (this.dispatcher.handling !== undefined) {
      this.log.warn({ event: this.dispatcher.handling }, 'session closed while a handler was still running; its later actions fail');
    }
    this.log.info(
      { durationMs: Date.now() - this.startedAt, endedBy: this.endedBy ?? 'peer-closed', code, reason },
      'session closed',
    );
    this.onClosed(this);
  }
}

export interface RequestOptions {
  /** The request `_id`; a fresh one when omitted. */
  id?: string;
  target?: { uris: string[] };
  timeoutMs?: number;
}
