import type { Logger } from 'pino';
import { Event } from './event';
import { isSessionClosed } from './errors';

type AnyHandler = (event: never) => unknown;

interface QueuedEvent {
  name: string;
  payload: Record<string, unknown>;
}

/**
 * The event handlers of one session and the queue that runs them: one at a time, in arrival
 * order, as 2.4.0 does. This is the single error boundary for workflow code: a handler that throws
 * or rejects is logged once with the session's context and passed to the `error` handler.
 */
export class Dispatcher {
  private readonly handlers = new Map<string, AnyHandler>();
  private readonly queue: QueuedEvent[] = [];
  private running = false;
  /** The event whose handler is running now, if any. */
  handling: string | undefined;

  constructor(private readonly log: Logger) {}

  on(name: string, handler: AnyHandler): void {
    this.handlers.set(name, handler);
  }

  off(name: string): void {
    this.handlers.delete(name);
  }

  /** Number of events waiting behind the one being handled. */
  get backlog(): number {
    return this.queue.length;
  }

  /**
   * Queues an event for its handler, which is looked up when the event's turn comes (an earlier
   * handler may set it). A lifecycle event goes to `interaction_lifecycle` when that handler
   * exists, otherwise to `interaction_<type>` (2.4.0's narrowing).
   */
  dispatch(name: string, payload: Record<string, unknown>): void {
    this.queue.push({ name, payload });
    if (!this.running) void this.drain();
  }

  /** Runs queued events one at a time; an event nobody handles is skipped without an await. */
  private async drain(): Promise<void> {
    this.running = true;
    for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
      const { name, payload } = next;
      const target = name === Event.INTERACTION_LIFECYCLE && !this.handlers.has(name) ? `interaction_${String(payload.type)}` : name;
      const handler = this.handlers.get(target);
      if (handler === undefined) {
        if (this.log.isLevelEnabled('debug')) this.log.debug({ event: target }, 'no handler for event');
        continue;
      }
      this.handling = target;
      try {
        await (handler as (event: unknown) => unknown)(payload);
      } catch (error) {
        await this.fail(target, error);
      } finally {
        this.handling = undefined;
      }
    }
    this.running = false;
  }

  private async fail(source: string, error: unknown): Promise<void> {
    const err = error instanceof Error ? error : new Error(String(error));
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
