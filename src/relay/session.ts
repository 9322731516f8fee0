import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { Dispatcher, type DispatcherStop, type QueueFull } from './dispatcher';
import { RelayError, RelayErrorCode } from './errors';
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
import {
  ByteBudget,
  CLOSE_HANDSHAKE_MS,
  IgnoredFrames,
  LOGGED_CHARS,
  PING_BURST,
  PING_PER_SECOND,
  RateLimit,
  Timeouts,
  type SessionBytes,
  type Sheddable,
} from './limits';
import { PendingWaits, type EventWatch, type ResponseBody } from './pending-waits';
import { checkWorkflowSecret, SECRET_ARG, SECRET_REFUSALS, type WorkflowSecrets } from './secret-check';

/** Random bytes drawn in blocks rather than one `randomBytes` call per id (see docs/performance.md). */
const ID_BLOCK = 4096;
let idPool = Buffer.alloc(0);
let idOffset = 0;

/** A fresh request id: 32 lowercase hex characters, as the SDK makes them. */
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
  | 'server-restart'
  | 'after-stop'
  | 'workflow-failed'
  | 'protocol-error'
  | 'start-timeout'
  | 'over-memory'
  | 'secret-refused'
  | 'internal-error';

/** After a `stop` event the Relay server closes the socket; if it does not, the session does. */
const CLOSE_AFTER_STOP_MS = 5_000;

/** What a peer event over a queue limit closes its session with. */
const QUEUE_FULL_PROBLEM: Record<Exclude<QueueFull, 'buffered'>, string> = {
  bytes: 'too many event bytes waiting for their handlers',
  events: 'too many events waiting for their handlers',
};

/** What is logged when a bus message is not taken because a queue limit is reached. */
const QUEUE_FULL_DROP: Record<QueueFull, string> = {
  bytes: 'dropped a bus message: too many bytes waiting for their handlers',
  events: 'dropped a bus message: too many events waiting for their handlers',
  buffered: 'dropped a bus message: the process is at MAX_BUFFERED_BYTES',
};

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

export interface SessionOptions {
  socket: WebSocket;
  logger: Logger;
  id: string;
  /** Log whole frames at debug (LOG_PRIVATE_DATA); otherwise only their {@link outline}. */
  logPrivateData?: boolean;
  /** The raw connection under `socket`: its bytes are counted as they arrive, before `ws` has a whole message. */
  connection?: Duplex;
  /** How long the peer has to send its start event before the session is closed with 1008; none when undefined. */
  startTimeoutMs?: number;
  /** Most bytes of events waiting behind a running handler; a peer over it is closed with 1008. */
  maxQueuedBytes?: number;
  /**
   * The process's byte budget (MAX_BUFFERED_BYTES), shared by every session. When this session's
   * bytes push it over, the session holding the most is shed (this one, or another).
   */
  budget?: ByteBudget;
  /**
   * WORKFLOW_SECRET (and WORKFLOW_SECRET_PREVIOUS): when given, the session asks the peer for the
   * `workflow_secret` arg right after the start event; every event (start included) and every bus
   * message waits until the answer matches, and a wrong, missing or late one closes the session
   * with 1008 and drops them all.
   */
  secrets?: WorkflowSecrets;
}

export interface RequestOptions {
  /** The request `_id`; a fresh one when omitted. */
  id?: string;
  target?: { uris: string[] };
  timeoutMs?: number;
}

/**
 * One WebSocket conversation with the Relay server: it sends requests, routes every incoming
 * frame to the wait or handler it belongs to, and on close releases everything it holds.
 * Workflow code never sees it; it talks to the {@link Workflow} built on top.
 *
 * Everything the peer sends passes through {@link receive}, which never throws: a frame that
 * breaks the protocol, or one that makes the receive path fail, closes this session and no other.
 */
export class Session implements Sheddable {
  readonly id: string;
  readonly log: Logger;
  /** Whether the peer answered the last ping; the heartbeat reads and resets it. */
  alive = true;
  private readonly socket: WebSocket;
  private readonly dispatcher: Dispatcher;
  private readonly waits = new PendingWaits();
  private readonly bytes: SessionBytes;
  private readonly ignored: IgnoredFrames;
  private readonly startedAt = Date.now();
  private endedBy?: SessionEnd;
  private started = false;
  private readonly pingRate = new RateLimit(PING_BURST, PING_PER_SECOND);
  private stopTimer?: NodeJS.Timeout;
  private startTimer?: NodeJS.Timeout;
  private cutTimer?: NodeJS.Timeout;
  private readonly logPrivateData: boolean;
  private readonly secrets: WorkflowSecrets | undefined;
  /** The `_id` of the secret's `get_var`: its response is never logged whole, whatever LOG_PRIVATE_DATA says. */
  private secretRequestId?: string;
  /** Run once when the session closes (bus subscriptions end this way). */
  private readonly cleanups = new Set<() => void>();

  constructor({
    socket,
    logger,
    id,
    logPrivateData = false,
    connection,
    startTimeoutMs,
    maxQueuedBytes,
    budget = new ByteBudget(Number.POSITIVE_INFINITY),
    secrets,
  }: SessionOptions) {
    this.id = id;
    this.secrets = secrets;
    this.logPrivateData = logPrivateData;
    this.socket = socket;
    this.log = logger;
    this.bytes = budget.open(this);
    this.ignored = new IgnoredFrames(logger);
    this.dispatcher = new Dispatcher({
      logger,
      bytes: this.bytes,
      ignored: this.ignored,
      maxQueuedBytes,
      // With a secret, no event handler and no bus-message handler runs before the check says so
      // (it fails closed); the workflow function itself has run, as the session opened.
      held: secrets !== undefined,
    });
    void this.dispatcher.stopped.then((stop) => this.dispatcherStopped(stop));
    socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    socket.on('ping', (data) => this.pinged(data.length));
    socket.on('pong', (data) => {
      this.bytes.consumed(data.length);
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

  /** Sets the handler for an event; a later `on` for the same name replaces it. */
  on(name: string, handler: (event: never) => unknown): void {
    this.dispatcher.on(name, handler);
  }

  /** Removes the handler for an event. */
  off(name: string): void {
    this.dispatcher.off(name);
  }

  /**
   * Queues `task` (a bus message's handler) with this session's events: it runs one at a time
   * with them and under the same error boundary; `name` names it in logs. Returns false, and
   * drops it, when the session has ended or its queue is full (the message's `bytes` count against
   * MAX_QUEUED_BYTES and MAX_BUFFERED_BYTES like an event's): a message from outside never closes
   * a session, it just is not taken.
   */
  enqueue(name: string, bytes: number, task: () => unknown): boolean {
    if (this.endedBy !== undefined || !this.isOpen || this.dispatcher.isStopped) return false;
    const full = this.dispatcher.enqueue(name, bytes, task);
    if (full === undefined) return true;
    this.log.warn({ source: name.slice(0, LOGGED_CHARS), bytes }, QUEUE_FULL_DROP[full]);
    return false;
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
      { bufferedBytes: this.bytes.bufferedBytes },
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
      this.log.debug({ frame: this.logPrivateData ? frame : outline(frame) }, 'frame sent');
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
    this.bytes.consumed(buffer.length);
    if (this.endedBy !== undefined || this.dispatcher.isStopped) return;
    if (isBinary) return this.refuse(1003, 'binary frames are not part of the Relay protocol');
    if (hasTooManyValues(buffer)) return this.refuse(1009, `frame has more than ${MAX_FRAME_SEPARATORS} values`);
    const text = buffer.toString();
    const frame = parseFrame(text);
    if (isFrameProblem(frame)) return this.refuse(frame.closeCode, frame.problem);
    if (this.log.isLevelEnabled('debug')) {
      const whole = this.logPrivateData && (frame._id === undefined || frame._id !== this.secretRequestId);
      this.log.debug({ frame: whole ? frame : outline(frame) }, 'frame received');
    }
    if (frame._id !== undefined) {
      if (!this.waits.deliverResponse(frame))
        this.ignore(frame._type, 'ignored a response that answers no pending request');
      return;
    }
    const name = eventName(frame._type);
    if (name === undefined) return this.ignore(frame._type, 'ignored a frame of unknown _type');
    const missing = missingField(name, frame);
    if (missing !== undefined) return this.ignore(frame._type, 'ignored an event without a field it needs', missing);
    if (name === 'start' && this.started) return this.ignore(frame._type, 'ignored a second start event');
    if (name !== 'start' && !this.started) return this.ignore(frame._type, 'ignored an event before the start event');
    const full = this.dispatcher.refusal(buffer.length);
    if (full === 'bytes' || full === 'events') return this.refuse(1008, QUEUE_FULL_PROBLEM[full]);
    if (name === 'start') {
      this.started = true;
      clearTimeout(this.startTimer);
      if (this.secrets !== undefined) this.checkSecret(this.secrets).catch((error: unknown) => this.fail(error));
    }
    const watched = this.waits.deliverEvent(frame, buffer.length);
    if (name === 'stop') this.closeSoonAfterStop();
    this.dispatcher.dispatch(name, frame, text, buffer.length, watched);
    this.bytes.overdrawn()?.shed();
  }

  /**
   * Asks for the `workflow_secret` arg and compares it. Only a match on a session still open
   * releases what the dispatcher holds; any other outcome drops it, so no workflow code runs, and
   * a refusal closes the session with 1008.
   */
  private async checkSecret(secrets: WorkflowSecrets): Promise<void> {
    const startedAt = performance.now();
    const check = await checkWorkflowSecret(() => {
      this.secretRequestId = makeId();
      return this.request('get_var', { name: SECRET_ARG }, { id: this.secretRequestId });
    }, secrets);
    if ('accepted' in check && this.endedBy === undefined && this.isOpen) {
      if (this.log.isLevelEnabled('debug'))
        this.log.debug(
          { matched: check.accepted, checkMs: Math.round((performance.now() - startedAt) * 100) / 100 },
          'workflow secret accepted',
        );
      this.dispatcher.release();
      return;
    }
    this.releaseBytes();
    if (!('refused' in check) || this.endedBy !== undefined) return;
    this.log.warn(
      { closeCode: 1008, secretCheck: check.refused, problem: SECRET_REFUSALS[check.refused] },
      'closing a session whose Relay did not give the workflow secret; no workflow handler ran',
    );
    this.end('secret-refused', 1008, `workflow secret ${check.refused}`);
  }

  /** Counts bytes read off the connection; over the process's budget, the session holding the most is shed. */
  private arrived(bytes: number): void {
    // Once the session is ending its bytes are read only to be thrown away, and not counted.
    if (this.endedBy !== undefined) return;
    this.bytes.arrived(bytes);
    this.bytes.overdrawn()?.shed();
  }

  private pinged(payloadBytes: number): void {
    this.bytes.consumed(payloadBytes);
    if (!this.pingRate.spend() && this.endedBy === undefined) this.refuse(1008, 'too many pings');
  }

  private releaseBytes(): void {
    this.dispatcher.clear();
    this.bytes.release();
  }

  /** The dispatcher stopped for good: a flood of events nobody takes (1008), or its own failure (1011). */
  private dispatcherStopped(stop: DispatcherStop): void {
    if ('problem' in stop) this.refuse(1008, stop.problem);
    else this.fail(stop.error);
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

  /** Counts a frame nobody uses; a peer that sends them faster than a Relay server would is closed. */
  private ignore(type: string, message: string, missing?: string): void {
    const problem = this.ignored.note(type, message, missing);
    if (problem !== undefined) this.refuse(1008, problem);
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
    this.dispatcher.clear();
    this.bytes.close();
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
        ignoredFrames: this.ignored.count > 0 ? this.ignored.count : undefined,
      },
      'session closed',
    );
  }
}
