import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import type { ByteBudget } from './byte-budget';
import { Dispatcher } from './dispatcher';
import { RelayError, RelayErrorCode } from './errors';
import { Event } from './event';
import {
  bufferOf,
  eventName,
  hasTooManyValues,
  isFrameProblem,
  MAX_FRAME_SEPARATORS,
  missingField,
  parseFrame,
  type Frame,
} from './frame';
import { RateLimit } from './rate-limit';
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
  | 'protocol-error'
  | 'start-timeout'
  | 'over-memory'
  | 'internal-error';

/** After a `stop` event the Relay server closes the socket; if it does not, the session does. */
const CLOSE_AFTER_STOP_MS = 5_000;

/** A peer that does not answer a close frame within this long is cut off, so it stops holding a place. */
const CLOSE_HANDSHAKE_MS = 2_000;

/**
 * Frames nobody uses (unknown or unhandled events, stray responses, events before `start`):
 * a burst of 100 passes, then 10 a second. A real Relay server sends a few such frames a minute;
 * a peer over the rate is closed with 1008.
 */
const IGNORED_BURST = 100;
const IGNORED_PER_SECOND = 10;

/**
 * Events of names Relay sends that the workflow has no handler for (prompt and lifecycle events
 * of every device in a group interaction, say): a budget of their own, ten times larger, so a
 * broadcast to a few hundred badges does not look like a flood.
 */
const UNHANDLED_BURST = 1_000;
const UNHANDLED_PER_SECOND = 100;

/**
 * Events waiting behind a running handler, however small. The Relay server sends a handful at a
 * time; together with the byte cap this bounds what a session's queue holds.
 */
const MAX_QUEUED_EVENTS = 2_048;

/** Pings from the peer: the Relay server answers ours and rarely sends its own. */
const PING_BURST = 50;
const PING_PER_SECOND = 5;

/** How many ignored frames a session logs at warn; later ones are only counted, in `session closed`. */
const WARNED_IGNORED_FRAMES = 5;

/** Every event name Relay sends (the runtime's own `error` aside). */
const KNOWN_EVENTS: ReadonlySet<string> = new Set(Object.values(Event).filter((name) => name !== Event.ERROR));

/** Longest piece of a peer's value (such as a `_type`) quoted in a log line. */
const LOGGED_CHARS = 100;

/**
 * What a frame looks like in a debug line: its type, id and the names of its fields. Payloads
 * nest secrets under names no list of private fields knows (trigger args, push options, call
 * passwords), so their values appear only when the owner opts in with LOG_PRIVATE_DATA.
 */
function outline(frame: Frame): { _type: string; _id?: string; fields: string[] } {
  const { _type, _id, ...rest } = frame;
  return {
    _type: _type.slice(0, LOGGED_CHARS),
    _id: _id?.slice(0, LOGGED_CHARS),
    fields: Object.keys(rest).slice(0, 20),
  };
}

/** Bytes a client-to-server WebSocket frame adds to its payload: header, length and mask. */
function frameOverhead(payloadBytes: number): number {
  return (payloadBytes < 126 ? 2 : payloadBytes < 65_536 ? 4 : 10) + 4;
}

export interface SessionOptions {
  socket: WebSocket;
  log: Logger;
  id: string;
  onClosed: (session: Session) => void;
  /** Log whole frames at debug (LOG_PRIVATE_DATA); otherwise only their {@link outline}. */
  logPayloads?: boolean;
  /** The raw connection under `socket`: its bytes are counted as they arrive, before `ws` has a whole message. */
  connection?: Duplex;
  /** How long the peer has to send its start event before the session is closed with 1008; none when undefined. */
  startTimeoutMs?: number;
  /** Most bytes of events waiting behind a running handler; a peer over it is closed with 1008. */
  maxQueuedBytes?: number;
  /** The process's byte budget; `onOverBudget` is called when this session's bytes push it over. */
  budget?: ByteBudget;
  onOverBudget?: () => void;
}

/**
 * One WebSocket conversation with the Relay server: it sends requests, routes every incoming
 * frame to the wait or handler it belongs to, and on close releases everything it holds.
 * Workflow code never sees it; it talks to the {@link Workflow} built on top.
 *
 * Everything the peer sends passes through {@link receive}, which never throws: a frame that
 * breaks the protocol, or one that makes the receive path fail, closes this session and no other.
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
  private ignoredCount = 0;
  private readonly ignoredRate = new RateLimit(IGNORED_BURST, IGNORED_PER_SECOND);
  private readonly unhandledRate = new RateLimit(UNHANDLED_BURST, UNHANDLED_PER_SECOND);
  private readonly pingRate = new RateLimit(PING_BURST, PING_PER_SECOND);
  /** Bytes that arrived and are not yet part of a whole message, as counted in the budget. */
  private arriving = 0;
  private stopTimer?: NodeJS.Timeout;
  private startTimer?: NodeJS.Timeout;
  private cutTimer?: NodeJS.Timeout;
  private readonly onClosed: (session: Session) => void;
  private readonly logPayloads: boolean;
  private readonly maxQueuedBytes: number;
  private readonly budget: ByteBudget | undefined;
  private readonly onOverBudget: () => void;
  /** Run once when the session closes (bus subscriptions end this way). */
  private readonly cleanups = new Set<() => void>();

  constructor({
    socket,
    log,
    id,
    onClosed,
    logPayloads = false,
    connection,
    startTimeoutMs,
    maxQueuedBytes = Number.POSITIVE_INFINITY,
    budget,
    onOverBudget = () => undefined,
  }: SessionOptions) {
    this.id = id;
    this.logPayloads = logPayloads;
    this.socket = socket;
    this.log = log;
    this.onClosed = onClosed;
    this.maxQueuedBytes = maxQueuedBytes;
    this.budget = budget;
    this.onOverBudget = onOverBudget;
    this.dispatcher = new Dispatcher({
      log,
      budget,
      onUnhandled: (name) => this.unhandled(name),
      onBroken: (error) => this.fail(error),
    });
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('ping', (data) => this.pinged(data.length));
    socket.on('pong', (data) => {
      this.consumed(data.length);
      this.alive = true;
    });
    socket.on('error', (err: Error & { code?: string }) => this.wsError(err));
    socket.once('close', (code, reason) => this.closed(code, reason.toString()));
    // Before the listener of `ws`, which may emit whole messages from this very chunk.
    connection?.prependListener('data', (chunk: Buffer) => this.arrived(chunk.length));
    if (startTimeoutMs !== undefined) {
      this.startTimer = setTimeout(
        () => this.refuse(1008, `no start event within ${startTimeoutMs} ms`, 'start-timeout'),
        startTimeoutMs,
      );
      this.startTimer.unref();
    }
  }

  get isOpen(): boolean {
    return this.socket.readyState === this.socket.OPEN;
  }

  /** Whether the peer has sent its start event (a Relay server does at once). */
  get hasStarted(): boolean {
    return this.started;
  }

  /** Milliseconds since the session opened. */
  get ageMs(): number {
    return Date.now() - this.startedAt;
  }

  /** Bytes this session holds for its peer now: a message still arriving and events queued. */
  get heldBytes(): number {
    return this.arriving + this.dispatcher.backlogBytes;
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

  /**
   * Queues `task` (a bus message's handler) on this session's dispatcher, one at a time with its
   * events. Returns false, and drops it, when the session has ended or its queue is full (the
   * message's `bytes` count against MAX_QUEUED_BYTES and the process's budget like an event's):
   * a message from outside never closes a session, it just is not taken.
   */
  runFromOutside(name: string, bytes: number, task: () => unknown): boolean {
    if (this.endedBy !== undefined || !this.isOpen) return false;
    const busy = this.dispatcher.busy;
    if (busy && this.dispatcher.backlogBytes + bytes > this.maxQueuedBytes) {
      this.log.warn(
        { source: name.slice(0, LOGGED_CHARS), bytes },
        'dropped a bus message: too many bytes waiting for their handlers',
      );
      return false;
    }
    if (busy && this.dispatcher.backlog >= MAX_QUEUED_EVENTS) {
      this.log.warn(
        { source: name.slice(0, LOGGED_CHARS) },
        'dropped a bus message: too many events waiting for their handlers',
      );
      return false;
    }
    if (busy && this.budget !== undefined && this.budget.used + bytes > this.budget.limit) {
      this.log.warn(
        { source: name.slice(0, LOGGED_CHARS), bytes },
        'dropped a bus message: the process is at MAX_BUFFERED_BYTES',
      );
      return false;
    }
    this.dispatcher.enqueue(name, task, bytes);
    return true;
  }

  /** Calls `cleanup` once when the session closes; returns a function that cancels it. */
  onClose(cleanup: () => void): () => void {
    this.cleanups.add(cleanup);
    return () => this.cleanups.delete(cleanup);
  }

  /** Sends a ping; the heartbeat calls this. */
  ping(): void {
    if (!this.isOpen) return;
    this.alive = false;
    this.socket.ping();
  }

  /**
   * Ends the session with a close frame (or abruptly when `code` is undefined), noting why. A peer
   * that does not answer the close frame is cut off after {@link CLOSE_HANDSHAKE_MS}.
   */
  end(reason: SessionEnd, code?: number, text = ''): void {
    this.endedBy ??= reason;
    if (code === undefined) {
      this.socket.terminate();
      return;
    }
    this.socket.close(code, text);
    this.cutTimer ??= setTimeout(() => this.socket.terminate(), CLOSE_HANDSHAKE_MS).unref();
  }

  /**
   * Closes the session with 1008 because the process is over its byte budget and this session
   * holds the most; what it holds is given back at once, and the peer is read no further.
   */
  shed(): void {
    this.log.warn(
      { heldBytes: this.heldBytes },
      'closing the session that holds the most bytes: the process is over MAX_BUFFERED_BYTES',
    );
    this.releaseBytes();
    this.socket.pause();
    this.end('over-memory', 1008, 'server memory limit');
  }

  /** Resolves once the socket has closed. */
  whenClosed(): Promise<void> {
    if (this.socket.readyState === this.socket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  /** Writes one frame (`text` is its JSON); `done`, if given, is called once it is written, or with SEND_FAILED. */
  private write(frame: Frame, text: string, done?: (error?: RelayError) => void): void {
    if (this.log.isLevelEnabled('debug'))
      this.log.debug({ frame: this.logPayloads ? frame : outline(frame) }, 'frame sent');
    if (done === undefined) {
      this.socket.send(text);
      return;
    }
    this.socket.send(text, (err) => {
      done(
        err === undefined || err === null
          ? undefined
          : new RelayError(RelayErrorCode.SEND_FAILED, `${RelayErrorCode.SEND_FAILED}: ${err.message}`),
      );
    });
  }

  private notConnected(what: string): RelayError {
    return new RelayError(
      RelayErrorCode.NOT_CONNECTED,
      `${RelayErrorCode.NOT_CONNECTED}: cannot send ${what}, the session with the Relay server has closed`,
    );
  }

  /** The boundary around everything the peer sends: nothing thrown here gets past this session. */
  private receive(data: RawData, isBinary: boolean): void {
    try {
      this.route(data, isBinary);
    } catch (error) {
      this.fail(error);
    }
  }

  /**
   * Routes one incoming message. Frames that break the protocol close this session (and only
   * it); frames that are well formed but unexpected are ignored with a warning, up to a rate.
   */
  private route(data: RawData, isBinary: boolean): void {
    const buffer = bufferOf(data);
    this.consumed(buffer.length);
    if (this.endedBy !== undefined) return;
    if (isBinary) return this.refuse(1003, 'binary frames are not part of the Relay protocol');
    if (hasTooManyValues(buffer)) return this.refuse(1009, `frame has more than ${MAX_FRAME_SEPARATORS} values`);
    const text = buffer.toString();
    const frame = parseFrame(text);
    if (isFrameProblem(frame)) return this.refuse(frame.closeCode, frame.problem);
    if (this.log.isLevelEnabled('debug'))
      this.log.debug({ frame: this.logPayloads ? frame : outline(frame) }, 'frame received');
    if (frame._id !== undefined) {
      if (!this.waits.deliverResponse(frame))
        this.ignore(frame._type, 'ignored a response that answers no pending request');
      return;
    }
    const name = eventName(frame._type);
    if (name === undefined) return this.ignore(frame._type, 'ignored a frame of unknown _type');
    const missing = missingField(name, frame);
    if (missing !== undefined)
      return this.ignore(frame._type, 'ignored an event without a field it needs', { missing });
    if (name === 'start' && this.started) return this.ignore(frame._type, 'ignored a second start event');
    if (name !== 'start' && !this.started) return this.ignore(frame._type, 'ignored an event before the start event');
    if (this.dispatcher.busy && this.dispatcher.backlogBytes + buffer.length > this.maxQueuedBytes) {
      return this.refuse(1008, 'too many event bytes waiting for their handlers');
    }
    if (this.dispatcher.backlog >= MAX_QUEUED_EVENTS)
      return this.refuse(1008, 'too many events waiting for their handlers');
    if (name === 'start') {
      this.started = true;
      clearTimeout(this.startTimer);
    }
    const watched = this.waits.deliverEvent(frame, buffer.length);
    if (name === 'stop') this.closeSoonAfterStop();
    this.dispatcher.dispatch(name, frame, text, buffer.length, watched);
    if (this.budget !== undefined && this.budget.used > this.budget.limit) this.onOverBudget();
  }

  /** Counts bytes read off the connection; over the process's budget, the host sheds a session. */
  private arrived(bytes: number): void {
    // Once the session is ending its bytes are read only to be thrown away, and not counted.
    if (this.budget === undefined || this.endedBy !== undefined) return;
    this.arriving += bytes;
    if (!this.budget.take(bytes)) this.onOverBudget();
  }

  /** A whole message (or control frame) of `payloadBytes` arrived: its bytes are no longer in flight. */
  private consumed(payloadBytes: number): void {
    if (this.budget === undefined) return;
    const bytes = Math.min(this.arriving, payloadBytes + frameOverhead(payloadBytes));
    this.arriving -= bytes;
    this.budget.give(bytes);
  }

  private pinged(payloadBytes: number): void {
    this.consumed(payloadBytes);
    if (!this.pingRate.spend() && this.endedBy === undefined) this.refuse(1008, 'too many pings');
  }

  private releaseBytes(): void {
    this.dispatcher.clear();
    this.budget?.give(this.arriving);
    this.arriving = 0;
  }

  /** A failure of the receive path itself (a bug, or an input nobody foresaw): this session ends with 1011. */
  private fail(error: unknown): void {
    this.log.error({ err: error }, 'failed to handle a frame from the peer; closing the session with 1011');
    this.releaseBytes();
    this.end('internal-error', 1011, 'internal error');
  }

  private refuse(code: 1002 | 1003 | 1007 | 1008 | 1009, problem: string, reason: SessionEnd = 'protocol-error'): void {
    if (this.endedBy !== undefined) return;
    this.log.warn({ closeCode: code, problem }, 'closing a session that broke the Relay protocol');
    this.releaseBytes();
    this.end(reason, code, problem);
  }

  /** Counts a frame nobody uses (the first few logged at warn); a peer that sends them faster than a Relay server would is closed. */
  private ignore(type: string, message: string, { missing }: { missing?: string } = {}): void {
    if (++this.ignoredCount <= WARNED_IGNORED_FRAMES)
      this.log.warn({ type: type.slice(0, LOGGED_CHARS), missing }, message);
    if (!this.ignoredRate.spend()) this.refuse(1008, 'too many frames that are not part of this session');
  }

  /**
   * An event no handler and no action took. One of Relay's own names spends the larger unhandled
   * budget; any other name (`wf_api_made_up_event`) is a frame nobody uses, like an unknown `_type`.
   */
  private unhandled(name: string): void {
    if (!KNOWN_EVENTS.has(name) && !name.startsWith('interaction_')) {
      this.ignore(name, 'ignored an event of a type Relay does not send');
      return;
    }
    if (this.log.isLevelEnabled('debug'))
      this.log.debug({ event: name.slice(0, LOGGED_CHARS) }, 'no handler for event');
    if (!this.unhandledRate.spend()) this.refuse(1008, 'too many events that no handler takes');
  }

  /** `ws` found the peer breaking the WebSocket protocol (a bad opcode, an oversized message...) and is closing. */
  private wsError(err: Error & { code?: string }): void {
    if (typeof err.code === 'string' && err.code.startsWith('WS_ERR_')) {
      this.endedBy ??= 'protocol-error';
      this.log.warn({ code: err.code, problem: err.message }, 'closing a session that broke the WebSocket protocol');
      // `ws` has sent its close frame; a peer that does not answer it is cut off like any other.
      this.releaseBytes();
      this.cutTimer ??= setTimeout(() => this.socket.terminate(), CLOSE_HANDSHAKE_MS).unref();
      return;
    }
    this.log.warn({ err }, 'websocket error');
  }

  private closeSoonAfterStop(): void {
    if (this.stopTimer !== undefined) return;
    this.stopTimer = setTimeout(() => this.end('after-stop', 1000, 'workflow stopped'), CLOSE_AFTER_STOP_MS);
  }

  private closed(code: number, reason: string): void {
    clearTimeout(this.stopTimer);
    clearTimeout(this.startTimer);
    clearTimeout(this.cutTimer);
    this.releaseBytes();
    for (const cleanup of this.cleanups) {
      try {
        cleanup();
      } catch (err) {
        this.log.error({ err }, 'a cleanup at session close failed');
      }
    }
    this.cleanups.clear();
    this.waits.rejectAll(
      () =>
        new RelayError(
          RelayErrorCode.NOT_CONNECTED,
          `${RelayErrorCode.NOT_CONNECTED}: the session with the Relay server closed (code ${code}) while this action was pending`,
        ),
    );
    if (this.dispatcher.handling !== undefined) {
      this.log.warn(
        { event: this.dispatcher.handling },
        'session closed while a handler was still running; its later actions fail',
      );
    }
    this.log.info(
      {
        durationMs: Date.now() - this.startedAt,
        endedBy: this.endedBy ?? 'peer-closed',
        code,
        reason: reason.slice(0, LOGGED_CHARS),
        ignoredFrames: this.ignoredCount > 0 ? this.ignoredCount : undefined,
      },
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
