/**
 * The session bus's contract (`SessionBus`), its errors and message rules, and `createBus`, which
 * picks the in-process bus or the Redis bus from the settings.
 */
import type { Logger } from 'pino';
import { InProcessBus } from './in-process-bus';
import { RedisBus } from './redis-bus';

/**
 * Where the bus stands: `embedded` is the in-process bus (always up); a Redis bus is `connecting`
 * at first, `ready` while both its connections are up, `reconnecting` after it lost one, and
 * `down` once closed (or when it gave up connecting).
 */
export type BusState = 'embedded' | 'connecting' | 'ready' | 'reconnecting' | 'down';

/**
 * Receives the messages of a topic: `data` is a fresh parse of the published JSON (never the
 * publisher's object), `bytes` the size of that JSON. Returns `false` when it did not take the
 * message (its session closed, its queue is full, the data failed its check); anything else
 * counts as taken.
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
 * is unreachable, is lost. `hasSubscribers` says whether anyone is waiting, so the caller can tell
 * "nobody is waiting" (404) from "sent to the waiting session" (202) and "cannot tell now" (503, a
 * rejection); `publish` says how many sessions took it in time, for the log.
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
  /**
   * Whether a session on any dyno is subscribed to `topic` now, from the bus's registry of
   * subscribed topics (on Redis: one entry per topic and process, kept while subscribed and gone
   * within `waitingTtlMs` of a process dying). This, not `publish`'s count, says "nobody is
   * waiting" (404): a busy dyno may report its count after `publish` stopped waiting. Rejects like
   * `publish`: UNAVAILABLE, BAD_TOPIC or CLOSED.
   */
  hasSubscribers(topic: string): Promise<boolean>;
  /** Where the bus stands now (for /health and the status page). */
  readonly state: BusState;
  /** Number of handlers subscribed in this process. */
  readonly subscriptions: number;
  /** Drops every subscription and closes connections; later publishes reject with CLOSED. */
  close(): Promise<void>;
}

/**
 * The bus the settings ask for: Redis pub/sub across every dyno when `redisUrl` is set (Heroku's
 * Key-Value Store add-on sets REDIS_URL), otherwise the in-process bus. Returns at once; a Redis
 * bus connects in the background and its `state` says when it is ready.
 */
export function createBus({ redisUrl }: { redisUrl?: string }, logger: Logger): SessionBus {
  return redisUrl === undefined ? new InProcessBus({ logger }) : new RedisBus({ url: redisUrl, logger });
}

/** The logger a bus was given as `logger` (or `log`, its earlier name); a TypeError when neither. */
export function requiredLogger(logger: Logger | undefined, bus: string): Logger {
  if (logger === undefined) throw new TypeError(`new ${bus}({ logger }) needs a pino logger`);
  return logger;
}

/** Stable codes for the ways the session bus refuses or fails. */
export const BusErrorCode = {
  /** Redis is not reachable now (connecting, reconnecting or down): a route should answer 503. */
  UNAVAILABLE: 'ERR_BUS_UNAVAILABLE',
  /** The message's JSON is over the bus's byte limit. */
  TOO_LARGE: 'ERR_BUS_MESSAGE_TOO_LARGE',
  /** The message cannot be written as JSON (undefined, a function, a BigInt, a cycle). */
  NOT_JSON: 'ERR_BUS_MESSAGE_NOT_JSON',
  /** The topic is empty, too long, or has characters outside the allowed set. */
  BAD_TOPIC: 'ERR_BUS_BAD_TOPIC',
  /** The bus was closed; nothing more can be published on it. */
  CLOSED: 'ERR_BUS_CLOSED',
} as const;

export type BusErrorCode = (typeof BusErrorCode)[keyof typeof BusErrorCode];

/**
 * A publish or subscribe the bus refused. `code` is stable; `message` says what to change.
 *
 * @example
 * try {
 *   await bus.publish(`transport:${id}`, update)
 * } catch (err) {
 *   if (err instanceof BusError && err.code === BusErrorCode.UNAVAILABLE) reply.code(503)
 *   else throw err
 * }
 */
export class BusError extends Error {
  constructor(
    readonly code: BusErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BusError';
  }
}

/** True for the error a publish gets while Redis cannot be reached (answer 503 and let the caller retry). */
export function isBusUnavailable(error: unknown): boolean {
  return error instanceof BusError && error.code === BusErrorCode.UNAVAILABLE;
}

/** Largest message (its JSON, in UTF-8 bytes): webhook updates are a few hundred bytes. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

/** Longest topic, in characters; it becomes part of a Redis message and of log lines. */
export const MAX_TOPIC_CHARS = 200;

const TOPIC = /^[A-Za-z0-9:._-]+$/;

/** Throws a BusError with the fix unless `topic` is 1 to 200 characters from `A-Z a-z 0-9 : . _ -`. */
export function checkTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > MAX_TOPIC_CHARS || !TOPIC.test(topic)) {
    const shown =
      typeof topic === 'string' ? JSON.stringify(topic.slice(0, 60)) + (topic.length > 60 ? '…' : '') : typeof topic;
    throw new BusError(
      BusErrorCode.BAD_TOPIC,
      `a bus topic must be 1 to ${MAX_TOPIC_CHARS} characters from A-Z a-z 0-9 : . _ - (such as "transport:3f9a1c"), got ${shown}`,
    );
  }
}

/** The checks before a registry lookup: the bus is open and the topic is valid; throws the BusError. */
export function checkLookup(closed: boolean, topic: unknown): asserts topic is string {
  if (closed) throw closedError();
  checkTopic(topic);
}

function closedError(): BusError {
  return new BusError(
    BusErrorCode.CLOSED,
    'the bus is closed (the server is shutting down): nothing can be published on it',
  );
}

/**
 * The checks every publish makes before sending anything, in this order: the bus is open, the
 * topic is valid, `data` is JSON of at most `maxBytes`. Returns that JSON; throws the BusError.
 */
export function messageToPublish(closed: boolean, topic: unknown, data: unknown, maxBytes: number): string {
  checkLookup(closed, topic);
  return encodeMessage(data, maxBytes);
}

/** `data` as JSON, checked against `maxBytes`; throws a BusError that says what to change. */
function encodeMessage(data: unknown, maxBytes: number): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(data);
  } catch (error) {
    throw new BusError(
      BusErrorCode.NOT_JSON,
      `a bus message must be JSON data (no BigInt, no cycles): ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (text === undefined) {
    throw new BusError(
      BusErrorCode.NOT_JSON,
      `a bus message must be JSON data (an object, array, string, number, boolean or null), got ${typeof data}`,
    );
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > maxBytes) {
    throw new BusError(
      BusErrorCode.TOO_LARGE,
      `a bus message may hold at most ${maxBytes} bytes of JSON, this one has ${bytes}: send an id and fetch the rest`,
    );
  }
  return text;
}
