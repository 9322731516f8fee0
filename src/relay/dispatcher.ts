import type { Logger } from 'pino';
import { isSessionClosed } from './errors';
import { Event } from './event';
import { eventPayload, type Frame } from './frame';
import {
  LOGGED_CHARS,
  MAX_QUEUED_EVENTS,
  RateLimit,
  UNHANDLED_BURST,
  UNHANDLED_PER_SECOND,
  type IgnoredFrames,
  type SessionBytes,
} from './limits';

type AnyHandler = (event: never) => unknown;

/** Every event name Relay sends (the runtime's own `error` aside). */
const KNOWN_EVENTS: ReadonlySet<string> = new Set(Object.values(Event).filter((name) => name !== Event.ERROR));

/**
 * An event waiting for its turn. One that runs at once keeps its parsed frame; one queued behind
 * a busy handler keeps only its text (about as many bytes as arrived, where the parsed object can
 * be ten times that) and is parsed again when its turn comes.
 */
interface QueuedEvent {
  name: string;
  frame?: Frame;
  text?: string;
  bytes: number;
  /** An action's wait already took it (a `speech` for `listen`, a `prompt` for `sayAndWait`). */
  watched: boolean;
  /** Not an event but work from outside the session (a bus message's handler), run in its turn. */
  task?: () => unknown;
}

/** Which limit keeps the queue from taking one more event or task now. */
export type QueueFull = 'bytes' | 'events' | 'buffered';

/** Why a dispatcher stopped for good; its session closes. */
export type DispatcherStop =
  /** The peer sent events nobody takes faster than a Relay server would (close with 1008). */
  | { problem: string }
  /** The dispatcher itself failed, never a handler (close with 1011). */
  | { error: unknown };

export interface DispatcherOptions {
  logger: Logger;
  /** The session's bytes in the process's budget: queued bytes count there while they wait. */
  bytes: SessionBytes;
  /** The session's count of frames nobody uses: events of names Relay does not send count there. */
  ignored: IgnoredFrames;
  /** MAX_QUEUED_BYTES: most bytes of events waiting behind a running handler. */
  maxQueuedBytes?: number;
  /**
   * Holds every event and task, queued under the same limits, until {@link Dispatcher.release}: the
   * session's WORKFLOW_SECRET check decides first whether any workflow code runs at all.
   */
  held?: boolean;
}

/**
 * The event handlers of one session and the queue that runs them: one at a time, in arrival
 * order, as the SDK does. This is the single error boundary for workflow code: a handler that
 * throws or rejects is logged once with the session's context and passed to the `error` handler.
 *
 * It owns the queue's limits: {@link refusal} says whether one more event fits, {@link enqueue}
 * returns why a task did not, and a peer flooding it with events nobody takes stops it:
 * {@link stopped} settles with why, and the session closes.
 */
export class Dispatcher {
  private readonly handlers = new Map<string, AnyHandler>();
  private readonly queue: QueuedEvent[] = [];
  private running = false;
  private held: boolean;
  private readonly log: Logger;
  private readonly bytes: SessionBytes;
  private readonly ignored: IgnoredFrames;
  private readonly maxQueuedBytes: number;
  private readonly unhandledRate = new RateLimit(UNHANDLED_BURST, UNHANDLED_PER_SECOND);
  private stop?: DispatcherStop;
  private settleStopped: (stop: DispatcherStop) => void = () => undefined;
  /** Settles once, when the dispatcher stops for good (it never does for a peer that behaves). */
  readonly stopped: Promise<DispatcherStop>;
  /** The event whose handler is running now, if any. */
  handling: string | undefined;

  constructor({ logger, bytes, ignored, maxQueuedBytes = Number.POSITIVE_INFINITY, held = false }: DispatcherOptions) {
    this.held = held;
    this.log = logger;
    this.bytes = bytes;
    this.ignored = ignored;
    this.maxQueuedBytes = maxQueuedBytes;
    this.stopped = new Promise((resolve) => (this.settleStopped = resolve));
  }

  on(name: string, handler: AnyHandler): void {
    this.handlers.set(name, handler);
  }

  off(name: string): void {
    this.handlers.delete(name);
  }

  /** Whether the dispatcher has stopped for good; it takes nothing more. */
  get isStopped(): boolean {
    return this.stop !== undefined;
  }

  /** Runs what a held dispatcher queued, in arrival order, and whatever comes next as usual. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    if (!this.running && this.queue.length > 0 && this.stop === undefined) void this.drain();
  }

  /** Whether what comes now waits in the queue rather than running at once. */
  private get waits(): boolean {
    return this.running || this.held;
  }

  /**
   * Which limit keeps `bytes` more from waiting in the queue, or undefined when they fit. Nothing
   * waits while no handler runs and nothing is held, so such a dispatcher takes anything. A task
   * from outside must also fit the process's byte budget: it never closes the session, it just is
   * not taken.
   */
  refusal(bytes: number, fromOutside = false): QueueFull | undefined {
    if (!this.waits) return undefined;
    if (this.bytes.queuedBytes + bytes > this.maxQueuedBytes) return 'bytes';
    if (this.queue.length >= MAX_QUEUED_EVENTS) return 'events';
    if (fromOutside && !this.bytes.fits(bytes)) return 'buffered';
    return undefined;
  }

  /**
   * Runs an event's handler now, or queues the event behind the running one. A queued event's
   * handler is looked up when its turn comes (an earlier handler may set it). A lifecycle event
   * goes to `interaction_lifecycle` when that handler exists, otherwise to `interaction_<type>`
   * (the SDK's narrowing). `text` and `bytes` are what arrived, kept instead of the frame if it
   * waits. The caller checked {@link refusal} first.
   */
  dispatch(name: string, frame: Frame, text: string, bytes: number, watched: boolean): void {
    this.push(this.waits ? { name, text, bytes, watched } : { name, frame, bytes, watched });
  }

  /**
   * Runs `task` (a bus message's handler) now, or queues it behind the running handler, one at a
   * time with the events and under the same error boundary; `name` names it in logs and for the
   * `error` handler, and `bytes` (the message's size) count while it waits. Returns which limit
   * kept it out, or undefined when it was taken.
   */
  enqueue(name: string, bytes: number, task: () => unknown): QueueFull | undefined {
    const full = this.refusal(bytes, true);
    if (full === undefined) this.push({ name, task, bytes, watched: false });
    return full;
  }

  /** Drops every queued event (the session is over, or the dispatcher stopped), giving back their bytes. */
  clear(): void {
    this.queue.length = 0;
    this.bytes.dequeue(this.bytes.queuedBytes);
  }

  /**
   * Queues behind the running handler (or while held), counting its bytes; otherwise it runs at
   * once and counts nothing. `item` is the caller's fresh object.
   */
  private push(item: QueuedEvent): void {
    if (this.stop !== undefined) return;
    if (this.waits) {
      this.queue.push(item);
      this.bytes.queue(item.bytes);
      return;
    }
    item.bytes = 0;
    this.queue.push(item);
    void this.drain();
  }

  /** Runs queued events one at a time; an event nobody handles is skipped without an await. Never rejects. */
  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        this.bytes.dequeue(next.bytes);
        await this.run(next);
      }
    } catch (error) {
      this.stopWith({ error });
    } finally {
      this.running = false;
      this.clear();
    }
  }

  private async run({ name, frame, text, watched, task }: QueuedEvent): Promise<void> {
    if (task !== undefined) return this.runTask(name, task);
    // The text was parsed once already when it arrived, so this parse cannot fail.
    const event = frame ?? (JSON.parse(text as string) as Frame);
    const target =
      name === Event.INTERACTION_LIFECYCLE && !this.handlers.has(name) ? `interaction_${String(event.type)}` : name;
    const handler = this.handlers.get(target);
    if (handler === undefined) {
      if (!watched) this.unhandled(target);
      return;
    }
    this.handling = target;
    try {
      // A handler that returns no promise is not awaited: a burst of events from one network read
      // then runs at once instead of waiting in the queue one microtask each.
      const result = (handler as (event: unknown) => unknown)(eventPayload(event));
      if (result instanceof Promise) await result;
    } catch (error) {
      await this.fail(target, error);
    } finally {
      this.handling = undefined;
    }
  }

  private async runTask(name: string, task: () => unknown): Promise<void> {
    this.handling = name;
    try {
      await task();
    } catch (error) {
      await this.fail(name, error);
    } finally {
      this.handling = undefined;
    }
  }

  /**
   * An event no handler and no action took. One of Relay's own names spends the larger unhandled
   * budget; any other name (`wf_api_made_up_event`) is a frame nobody uses, like an unknown `_type`.
   */
  private unhandled(name: string): void {
    if (!KNOWN_EVENTS.has(name) && !name.startsWith('interaction_')) {
      const problem = this.ignored.note(name, 'ignored an event of a type Relay does not send');
      if (problem !== undefined) this.stopWith({ problem });
      return;
    }
    if (this.log.isLevelEnabled('debug'))
      this.log.debug({ event: name.slice(0, LOGGED_CHARS) }, 'no handler for event');
    if (!this.unhandledRate.spend()) this.stopWith({ problem: 'too many events that no handler takes' });
  }

  /** Stops for good: the queue is dropped, nothing more is taken, and {@link stopped} settles. */
  private stopWith(stop: DispatcherStop): void {
    if (this.stop !== undefined) return;
    this.stop = stop;
    this.clear();
    this.settleStopped(stop);
  }

  private async fail(source: string, error: unknown): Promise<void> {
    const err = error instanceof Error ? error : new Error(describe(error));
    if (isSessionClosed(err)) {
      this.log.info({ event: source }, 'workflow stopped: the session closed while an action was pending');
    } else {
      this.log.error({ event: source, err }, 'workflow handler failed');
    }
    const onError = this.handlers.get(Event.ERROR);
    if (onError === undefined || source === Event.ERROR) return;
    try {
      await (onError as (event: unknown) => unknown)({ error: err });
    } catch (secondary) {
      this.log.error({ event: Event.ERROR, err: secondary }, 'error handler failed');
    }
  }
}

/** A thrown non-error as text; `String()` itself throws for an object without a callable toString. */
function describe(value: unknown): string {
  try {
    return String(value);
  } catch {
    return `a thrown ${typeof value} that cannot be turned into text`;
  }
}
