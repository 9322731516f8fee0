/**
 * Where the bus stands: `embedded` is the in-process bus (always up); a Redis bus is `connecting`
 * at first, `ready` while both its connections are up, `reconnecting` after it lost one, and
 * `down` once closed (or when it gave up connecting).
 */
export type BusState = 'embedded' | 'connecting' | 'ready' | 'reconnecting' | 'down';

/**
 * Receives the messages of a topic: `data` is a fresh parse of the published JSON (never the
 * publisher's object), `bytes` the size of that JSON. Returns `false` when it did not take the message (its session closed, its
 * queue is full, the data failed its check); anything else counts as taken.
 */
export type BusHandler = (data: unknown, bytes: number) => boolean | void;

/** Removes a subscription; safe to call more than once. */
export type Unsubscribe = () => void;

/**
 * The session bus: routes and workflows share it, so that news from outside (a webhook, another
 * conversation) reaches a conversation that is already running, on whichever dyno holds it.
 * Messages are JSON of at most {@link MAX_MESSAGE_BYTES} bytes; topics are 1 to 200 characters
 * from `A-Z a-z 0-9 : . _ -`.
 *
 * Delivery is at most once: a message published while no session is subscribed, or while Redis
 * is unreachable, is lost. `publish` says how many sessions took it, so the caller can tell
 * "nobody is waiting" (404) from "delivered" (202) and "cannot tell now" (503, a rejection).
 */
export interface SessionBus {
  /** Adds a handler for a topic; takes effect at once. Throws a BusError for a bad topic. */
  subscribe(topic: string, handler: BusHandler): Unsubscribe;
  /**
   * Sends `data` to every handler of `topic`, in every process sharing the bus, and resolves with
   * the number of handlers (sessions) that took it. Rejects with a BusError: UNAVAILABLE while
   * Redis cannot be reached (fast, nothing is queued), TOO_LARGE, NOT_JSON, BAD_TOPIC or CLOSED.
   */
  publish(topic: string, data: unknown): Promise<number>;
  /** Where the bus stands now (for /health and the status page). */
  readonly state: BusState;
  /** Number of handlers subscribed in this process. */
  readonly subscriptions: number;
  /** Drops every subscription and closes connections; later publishes reject with CLOSED. */
  close(): Promise<void>;
}
