import type { SessionBus, Unsubscribe } from '../bus/session-bus';
import type { Session } from './session';

/** Options of `workflow.subscribe`. */
export interface SubscribeOptions<T> {
  /**
   * Checks a message before the handler gets it (messages come from webhooks: check them). A
   * message it refuses is logged (its topic, never its data) and not counted as taken.
   */
  accept?: (data: unknown) => data is T;
}

/**
 * Subscribes `session` to `topic` on `bus`: each message's handler is queued on the session's
 * dispatcher, so it runs one at a time with the session's events and under its error boundary.
 * The subscription ends when the session closes; a message arriving after that is not taken, and
 * subscribing a closed session does nothing.
 */
export function subscribeSession<T>(
  session: Session,
  bus: SessionBus,
  topic: string,
  handler: (data: T) => unknown,
  { accept }: SubscribeOptions<T> = {},
): Unsubscribe {
  if (typeof handler !== 'function')
    throw new TypeError(
      `workflow.subscribe(${JSON.stringify(String(topic).slice(0, 60))}, handler) needs a handler function`,
    );
  const name = `bus ${topic}`;
  // A closed session would never run its close cleanups again: subscribing it would leak.
  if (!session.isOpen) return () => undefined;
  const stop = bus.subscribe(topic, (data, bytes) => {
    if (accept !== undefined && !accept(data)) {
      session.log.warn({ topic: topic.slice(0, 100), bytes }, 'dropped a bus message that failed its check');
      return false;
    }
    return session.runFromOutside(name, bytes, () => handler(data as T));
  });
  const cancel = session.onClose(stop);
  return () => {
    stop();
    cancel();
  };
}
