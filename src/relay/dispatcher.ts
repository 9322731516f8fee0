import type { Logger } from 'pino';
import { Event } from './event';
import type { ByteBudget } from './byte-budget';
import { isSessionClosed } from './errors';
import { eventPayload, type Frame } from './frame';

type AnyHandler = (event: never) => unknown;

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

export interface DispatcherOptions {
  log: Logger;
  /** Called for an event that no handler and no wait took: the session counts it as ignored. */
  onUnhandled?: (name: string) => void;
  /** Called if the dispatcher itself fails (never for a handler's error): the session closes. */
  onBroken?: (error: unknown) => void;
  /** The process's budget: queued bytes are taken from it and given back when they leave the queue. */
  budget?: ByteBudget;
}

/**
 * The event handlers of one session and the queue that runs them: one at a time, in arrival
 * order, as 2.4.0 does. This is the single error boundary for workflow code: a handler that throws
 * or rejects is logged once with the session's context and passed to the `error` handler.
 */
export class Dispatcher {
  private readonly handlers = new Map<string, AnyHandler>();
  private readonly queue: QueuedEvent[] = [];
  private queued = 0;
  private running = false;
  private readonly log: Logger;
  private readonly onUnhandled: (name: string) => void;
  private readonly onBroken: (error: unknown) => void;
  private readonly budget: ByteBudget | undefined;
  /** The event whose handler is running now, if any. */
  handling: string | undefined;

  constructor({ log, onUnhandled = () => undefined, onBroken = () => undefined, budget }: DispatcherOptions) {
    this.log = log;
    this.budget = budget;
    this.onUnhandled = onUnhandled;
    this.onBroken = onBroken;
  }

  on(name: string, handler: AnyHandler): void {
    this.handlers.set(name, handler);
  }

  off(name: string): void {
    this.handlers.delete(name);
  }

  /** Whether a handler is running, so that a new event would wait in the queue. */
  get busy(): boolean {
    return this.running;
  }

  /** Number of events waiting behind the one being handled. */
  get backlog(): number {
    return this.queue.length;
  }

  /** Bytes of the events waiting behind the one being handled. */
  get backlogBytes(): number {
    return this.queued;
  }

  /**
   * Runs an event's handler now, or queues the event behind the running one. A queued event's
   * handler is looked up when its turn comes (an earlier handler may set it). A lifecycle event
   * goes to `interaction_lifecycle` when that handler exists, otherwise to `interaction_<type>`
   * (2.4.0's narrowing). `text` and `bytes` are what arrived, kept instead of the frame if it waits.
   */
  dispatch(name: string, frame: Frame, text: string, bytes: number, watched: boolean): void {
    this.push(this.running ? { name, text, bytes, watched } : { name, frame, bytes, watched });
  }

  /**
   * Runs `task` (a bus message's handler) now, or queues it behind the running handler, one at a
   * time with the events and under the same error boundary; `name` names it in logs and for the
   * `error` handler. `bytes` (the message's size) count in the backlog while it waits.
   */
  enqueue(name: string, task: () => unknown, bytes: number): void {
    this.push({ name, task, bytes, watched: false });
  }

  /**
   * Queues behind the running handler, counting its bytes in the backlog (and the process budget);
   * with nothing running, it runs at once and counts nothing. `item` is the caller's fresh object.
   */
  private push(item: QueuedEvent): void {
    if (this.running) {
      this.queue.push(item);
      this.queued += item.bytes;
      this.budget?.take(item.bytes);
      return;
    }
    item.bytes = 0;
    this.queue.push(item);
    this.drain().catch((error: unknown) => this.onBroken(error));
  }

  /** Drops every queued event (the session is over, or the dispatcher broke); returns the bytes they held. */
  clear(): number {
    const freed = this.queued;
    this.queue.length = 0;
    this.queued = 0;
    this.budget?.give(freed);
    return freed;
  }

  /** Runs queued events one at a time; an event nobody handles is skipped without an await. */
  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
        this.queued -= next.bytes;
        this.budget?.give(next.bytes);
        await this.run(next);
      }
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
      if (!watched) this.onUnhandled(target);
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
