/**
 * The session bus across processes (`RedisBus`): Redis pub/sub, the envelope its messages travel
 * in, and the Redis helpers the idempotency store shares.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type * as Redis from 'redis';
import type { RedisClientType } from 'redis';
import { isRecord, withTimeout } from '../util';
import { LocalTopics } from './in-process-bus';
import {
  BusError,
  BusErrorCode,
  checkLookup,
  checkTopic,
  MAX_MESSAGE_BYTES,
  messageToPublish,
  requiredLogger,
  type BusHandler,
  type BusState,
  type SessionBus,
  type Unsubscribe,
} from './session-bus';

export interface RedisBusOptions {
  /** `redis://` or `rediss://` (TLS, certificate not verified: Heroku's are self-signed). */
  url: string;
  /** Where connection changes and dropped messages are logged. Required (or `log`). */
  logger?: Logger;
  /** Largest message in bytes of JSON (default 64 KiB). */
  maxMessageBytes?: number;
  /** Prefix of the bus's Redis channels, so that apps sharing one Redis stay apart (default `relay-bus`). */
  channelPrefix?: string;
  /** How long a publish waits for Redis to take it before rejecting with UNAVAILABLE (default 2 s). */
  publishTimeoutMs?: number;
  /** How long a publish waits for the other processes to say how many sessions took it (default 1 s). */
  ackTimeoutMs?: number;
  /** Longest pause between reconnection attempts (default 5 s); the first ones come sooner. */
  maxReconnectDelayMs?: number;
  /** How long one connection attempt may take (default 5 s). */
  connectTimeoutMs?: number;
  /**
   * How long a topic's entry in the registry of subscribed topics outlives its process's last
   * refresh (default 30 s; refreshed every third of it): how long a dyno that died still counts as waiting.
   */
  waitingTtlMs?: number;
  /**
   * Most topics this process enters in the registry (default 10,000); beyond, subscriptions still
   * work locally, and their topics enter as entered ones leave.
   */
  maxWaitingTopics?: number;
}

/** A publish waiting for the processes that received it to report their counts. */
interface PendingPublish {
  /** Processes that received it (PUBLISH's answer); undefined until Redis answered. */
  expected?: number;
  acks: number;
  taken: number;
  done: (taken: number) => void;
}

/**
 * The bus across processes: Redis pub/sub through node-redis, on two connections (a subscribing
 * connection can do nothing else). Every process subscribes to one channel that carries every
 * message, and to a reply channel of its own.
 *
 * How `publish` counts sessions across processes: PUBLISH answers with the number of processes
 * that received the message (connections, not sessions); each of them delivers it to its own
 * handlers and publishes back on the publisher's reply channel how many took it. `publish`
 * resolves when every receiving process has answered, or after `ackTimeoutMs` with the sum so far
 * (a process that died between receiving and answering counts 0). One channel for every topic
 * keeps `subscribe` synchronous and local, with no window where a just-subscribed session misses
 * a message; docs/bus.md has the trade-off.
 *
 * Which topics have subscribers, on any process, is kept in Redis too (`hasSubscribers`): a set
 * per topic (`<prefix>:waiting:<topic>`) of the ids of the processes subscribed to it, added when a
 * process's first session subscribes, removed when its last one leaves, and expiring
 * `waitingTtlMs` after the process last refreshed it, so a process that died stops counting.
 * A process enters at most `maxWaitingTopics` topics; a topic subscribed beyond them is kept out
 * until an entered topic leaves, then enters at once (the oldest kept out first). The refresh runs
 * every third of `waitingTtlMs`, one at a time.
 *
 * When Redis is unreachable, publishes reject at once with UNAVAILABLE (node-redis's offline
 * queue is off), sessions go on, and the client reconnects with backoff; node-redis subscribes
 * the connection again, and delivery resumes without a restart. Messages published during the
 * outage are lost (pub/sub keeps nothing).
 */
export class RedisBus implements SessionBus {
  private readonly topics: LocalTopics;
  private readonly logger: Logger;
  private readonly publisher: RedisClientType;
  private readonly subscriber: RedisClientType;
  private readonly maxMessageBytes: number;
  private readonly publishTimeoutMs: number;
  private readonly ackTimeoutMs: number;
  private readonly channel: string;
  private readonly replyPrefix: string;
  private readonly processId = randomBytes(8).toString('hex');
  private readonly pending = new Map<string, PendingPublish>();
  private readonly target: string;
  private listening = false;
  private wasReady = false;
  private closed = false;
  private current: BusState = 'connecting';
  private readonly stateWaiters = new Set<() => void>();
  /** The topics this process has entered in the registry of subscribed topics. */
  private readonly registered = new Set<string>();
  private readonly waitingPrefix: string;
  private readonly waitingTtlMs: number;
  private readonly maxWaitingTopics: number;
  private readonly refreshTimer: NodeJS.Timeout;
  /**
   * Topics subscribed here that `maxWaitingTopics` kept out of the registry, oldest first. Only
   * while the registry is full for this process: each leaves this set for the registry when an
   * entered topic leaves it, or when its own last subscription ends. At most one entry per
   * subscribed topic beyond the cap.
   */
  private readonly keptOut = new Set<string>();
  /** Whether a refresh of the registry waits for Redis's answer: one is sent at a time. */
  private refreshing = false;
  /** Ticks skipped in a row because the refresh before them had no answer yet (for the log). */
  private skippedRefreshes = 0;

  constructor(options: RedisBusOptions) {
    const {
      url,
      maxMessageBytes = MAX_MESSAGE_BYTES,
      channelPrefix = 'relay-bus',
      publishTimeoutMs = 2_000,
      ackTimeoutMs = 1_000,
    } = options;
    this.target = redisTarget(url);
    this.logger = requiredLogger(options.logger, 'RedisBus').child({ redis: this.target });
    this.topics = new LocalTopics(this.logger);
    this.maxMessageBytes = maxMessageBytes;
    this.publishTimeoutMs = publishTimeoutMs;
    this.ackTimeoutMs = ackTimeoutMs;
    this.channel = `${channelPrefix}:all`;
    this.replyPrefix = `${channelPrefix}:reply:`;
    this.waitingPrefix = `${channelPrefix}:waiting:`;
    this.waitingTtlMs = options.waitingTtlMs ?? 30_000;
    this.maxWaitingTopics = options.maxWaitingTopics ?? 10_000;
    this.refreshTimer = setInterval(() => void this.refreshRegistry(), this.waitingTtlMs / 3).unref();
    const maxDelay = options.maxReconnectDelayMs ?? 5_000;
    const tls = url.startsWith('rediss://');
    // Loaded here, not imported: a server without REDIS_URL never loads node-redis (docs/performance.md).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createClient } = require('redis') as typeof Redis;
    this.publisher = createClient({
      url,
      // Heroku Key-Value Store's certificates are self-signed: TLS encrypts, but cannot be verified (docs/bus.md).
      socket: {
        ...(tls ? { tls: true as const, rejectUnauthorized: false } : {}),
        connectTimeout: options.connectTimeoutMs ?? 5_000,
        // Exponential from 50 ms, with jitter so that every dyno does not knock at once.
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, maxDelay) * (0.75 + Math.random() / 2),
      },
      // A command while disconnected rejects at once instead of waiting in a queue for Redis to come back.
      disableOfflineQueue: true,
    });
    this.subscriber = this.publisher.duplicate();
    for (const [name, client] of [
      ['publisher', this.publisher],
      ['subscriber', this.subscriber],
    ] as const) {
      client.on('error', (err: Error & { code?: string }) =>
        this.logger.debug(
          { connection: name, code: err.code, problem: err.message.slice(0, 200) },
          'redis connection error',
        ),
      );
      client.on('ready', () => this.changed());
      client.on('end', () => this.changed());
      client.on('reconnecting', () => this.changed());
    }
    this.subscriber.on('ready', () => void this.listen());
    // Redis may have restarted empty (it keeps nothing on Heroku's plans): enter the topics again.
    this.publisher.on('ready', () => void this.refreshRegistry());
    this.logger.info('connecting the session bus to Redis');
    for (const client of [this.publisher, this.subscriber]) {
      client.connect().catch((err: unknown) => {
        if (!this.closed) this.logger.error({ err }, 'the session bus gave up connecting to Redis');
        this.changed();
      });
    }
  }

  get state(): BusState {
    return this.current;
  }

  get subscriptions(): number {
    return this.topics.size;
  }

  /** The publishing connection, for state kept in the same Redis (the idempotency store). */
  get client(): RedisClientType {
    return this.publisher;
  }

  /** Resolves once the bus is `ready` (for tests and benchmarks); rejects after `timeoutMs`. */
  whenReady(timeoutMs = 10_000): Promise<void> {
    return this.whenState('ready', timeoutMs);
  }

  /** Resolves when the bus reaches `state` (at once if it is there); rejects after `timeoutMs`. */
  whenState(state: BusState, timeoutMs = 10_000): Promise<void> {
    if (this.current === state) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.stateWaiters.delete(check);
        reject(
          new BusError(
            BusErrorCode.UNAVAILABLE,
            `the session bus did not become ${state} within ${timeoutMs} ms (Redis at ${this.target}, state ${this.current})`,
          ),
        );
      }, timeoutMs);
      const check = () => {
        if (this.current !== state) return;
        clearTimeout(timer);
        this.stateWaiters.delete(check);
        resolve();
      };
      this.stateWaiters.add(check);
    });
  }

  subscribe(topic: string, handler: BusHandler): Unsubscribe {
    const unsubscribe = this.topics.add(topic, handler);
    if (!this.registered.has(topic) && !this.keptOut.has(topic)) this.register(topic);
    return () => {
      unsubscribe();
      if (this.topics.has(topic) || this.keptOut.delete(topic) || !this.registered.delete(topic)) return;
      this.publisher.sRem(this.waitingKey(topic), this.processId).catch((err: unknown) => {
        this.logger.debug({ err }, 'could not remove a topic from the registry; it expires by itself');
      });
      // Room for one: the topic kept out longest enters in its place.
      for (const next of this.keptOut) {
        this.keptOut.delete(next);
        this.register(next);
        break;
      }
    };
  }

  async hasSubscribers(topic: string): Promise<boolean> {
    checkLookup(this.closed, topic);
    if (this.topics.has(topic)) return true;
    if (this.current !== 'ready') throw this.unavailable();
    try {
      return (await withRedisTimeout(this.publisher.exists(this.waitingKey(topic)), this.publishTimeoutMs)) > 0;
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  async publish(topic: string, data: unknown): Promise<number> {
    const text = messageToPublish(this.closed, topic, data, this.maxMessageBytes);
    if (this.current !== 'ready') throw this.unavailable();
    const id = randomBytes(8).toString('hex');
    const envelope = writeEnvelope({ id, from: this.processId, topic, text });
    let done: (taken: number) => void = () => undefined;
    const counted = new Promise<number>((resolve) => (done = resolve));
    // Registered before PUBLISH: an answer may come back on the other connection before PUBLISH's own reply.
    const pending: PendingPublish = { acks: 0, taken: 0, done };
    this.pending.set(id, pending);
    let receivers: number;
    try {
      receivers = await withRedisTimeout(this.publisher.publish(this.channel, envelope), this.publishTimeoutMs);
    } catch (error) {
      this.pending.delete(id);
      throw this.unavailable(error);
    }
    pending.expected = receivers;
    const timer = setTimeout(() => this.settle(id), this.ackTimeoutMs);
    this.settleIfComplete(id, pending);
    try {
      return await counted;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.refreshTimer);
    const topics = [...this.registered];
    this.registered.clear();
    this.keptOut.clear();
    this.topics.clear();
    for (const id of [...this.pending.keys()]) this.settle(id);
    if (topics.length > 0 && this.publisher.isReady) {
      const batch = this.publisher.multi();
      for (const topic of topics) batch.sRem(this.waitingKey(topic), this.processId);
      await withRedisTimeout(batch.execAsPipeline(), this.publishTimeoutMs).catch((err: unknown) => {
        this.logger.debug({ err }, 'could not remove the topics from the registry; they expire by themselves');
      });
    }
    await Promise.all([this.publisher, this.subscriber].map((client) => closeClient(client)));
    this.changed();
  }

  /**
   * Enters `topic` in the registry of subscribed topics or, when this process has entered its
   * most, keeps it out until there is room (warning once each time topics start being kept out).
   */
  private register(topic: string): void {
    if (this.registered.size >= this.maxWaitingTopics) {
      if (this.keptOut.size === 0)
        this.logger.warn(
          { maxWaitingTopics: this.maxWaitingTopics },
          'the registry of subscribed topics is full for this process: further topics work here, but other dynos may answer 404 for them until entered topics leave',
        );
      this.keptOut.add(topic);
      return;
    }
    this.registered.add(topic);
    void this.enter([topic]);
  }

  /**
   * Adds this process to the registry sets of `topics`, and sets their expiry. Resolves once Redis
   * answered, or failed to (logged; never rejects); undefined when nothing was sent.
   */
  private enter(topics: string[]): Promise<void> | undefined {
    if (topics.length === 0 || !this.publisher.isReady) return undefined; // entered again when it is ready
    const batch = this.publisher.multi();
    for (const topic of topics) {
      const key = this.waitingKey(topic);
      batch.sAdd(key, this.processId).pExpire(key, this.waitingTtlMs);
    }
    return batch.execAsPipeline().then(
      () => undefined,
      (err: unknown) => {
        this.logger.debug({ err }, 'could not enter topics in the registry; the next refresh tries again');
      },
    );
  }

  /**
   * Enters every topic this process has entered in the registry again, so that their entries do
   * not expire. One refresh at a time: a tick while the previous one has no answer from Redis is
   * skipped, since another pipeline would only queue behind it, and a slow Redis would collect one
   * every tick. The wait for the answer is bounded by `publishTimeoutMs`, as every command's is,
   * and its end logged; but commands already sent cannot be called back, so the next refresh
   * waits until Redis answers this one or the connection fails. node-redis then rejects every
   * command waiting on it, so none is left in flight when the connection is ready again and
   * refreshes at once.
   */
  private async refreshRegistry(): Promise<void> {
    if (this.refreshing) {
      this.skippedRefreshes++;
      this.logger.debug(
        { skipped: this.skippedRefreshes },
        'skipped a registry refresh: Redis has not answered the previous one',
      );
      return;
    }
    const sent = this.enter([...this.registered]);
    if (sent === undefined) return;
    this.refreshing = true;
    this.skippedRefreshes = 0;
    const answered = sent.finally(() => (this.refreshing = false));
    try {
      await withRedisTimeout(answered, this.publishTimeoutMs);
    } catch {
      // `answered` never rejects: this is the timeout.
      this.logger.warn(
        { timeoutMs: this.publishTimeoutMs, waitingTtlMs: this.waitingTtlMs },
        'a registry refresh got no answer from Redis in time; the next refreshes wait for it',
      );
    }
  }

  private waitingKey(topic: string): string {
    return `${this.waitingPrefix}${topic}`;
  }

  /** Subscribes the bus's two channels once; node-redis subscribes them again after each reconnect. */
  private async listen(): Promise<void> {
    if (this.listening || this.closed) return;
    try {
      await this.subscriber.subscribe(this.channel, (message) => this.received(message));
      await this.subscriber.subscribe(`${this.replyPrefix}${this.processId}`, (message) => this.answered(message));
      this.listening = true;
    } catch (err) {
      this.logger.debug({ err }, 'subscribing the bus channels failed; retrying on the next reconnect');
    }
    this.changed();
  }

  /** A message from any process (this one included): deliver it here, then tell its publisher how many took it. */
  private received(message: string): void {
    const envelope = readEnvelope(message, this.maxMessageBytes);
    if (typeof envelope === 'string') return this.dropped(envelope, message.length);
    const taken = this.topics.deliver(envelope.topic, envelope.text);
    this.publisher
      .publish(`${this.replyPrefix}${envelope.from}`, writeDeliveryCount({ id: envelope.id, taken }))
      .catch((err: unknown) => {
        this.logger.debug({ err }, 'could not report a delivery count to the publishing process');
      });
  }

  private answered(message: string): void {
    const count = readDeliveryCount(message);
    if (typeof count === 'string') return this.dropped(count, message.length);
    const pending = this.pending.get(count.id);
    if (pending === undefined) return; // answered after its publish gave up waiting
    pending.acks++;
    pending.taken += count.taken;
    this.settleIfComplete(count.id, pending);
  }

  private settleIfComplete(id: string, pending: PendingPublish): void {
    if (pending.expected !== undefined && pending.acks >= pending.expected) this.settle(id);
  }

  private settle(id: string): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    this.pending.delete(id);
    if (pending.expected !== undefined && pending.acks < pending.expected) {
      this.logger.debug(
        { expected: pending.expected, answered: pending.acks },
        'not every process reported its delivery count in time',
      );
    }
    pending.done(pending.taken);
  }

  /** A bad message from Redis is logged with its size, never its text, and dropped. */
  private dropped(problem: string, chars: number): void {
    this.logger.warn({ problem, chars }, 'dropped a bus message from Redis that this bus did not send');
  }

  private unavailable(cause?: unknown): BusError {
    return new BusError(
      BusErrorCode.UNAVAILABLE,
      `the session bus cannot reach Redis at ${this.target} (state ${this.current}): try again shortly; it reconnects by itself`,
      { cause },
    );
  }

  /** Works out the state from both connections and logs each change once. */
  private changed(): void {
    const next: BusState = this.closed
      ? 'down'
      : this.publisher.isReady && this.subscriber.isReady && this.listening
        ? 'ready'
        : this.wasReady
          ? 'reconnecting'
          : !this.publisher.isOpen && !this.subscriber.isOpen
            ? 'down'
            : 'connecting';
    if (next === this.current) return;
    const previous = this.current;
    this.current = next;
    if (next === 'ready') this.wasReady = true;
    const line = { state: next, previous };
    if (next === 'ready') this.logger.info(line, 'session bus connected to Redis');
    else if (next === 'down' && this.closed) this.logger.info(line, 'session bus closed');
    else this.logger.warn(line, 'session bus lost Redis: publishing fails with 503 until it reconnects');
    for (const check of [...this.stateWaiters]) check();
  }
}

/** `promise`, or a rejection after `ms`: a Redis that keeps its socket open but stops answering must not hang a caller. */
export function withRedisTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return withTimeout(promise, ms, () => new Error(`Redis did not answer within ${ms} ms`));
}

/** Closes a connection: politely when it is up, at once when it is not (close() would wait for Redis). */
async function closeClient(client: RedisClientType): Promise<void> {
  try {
    // A Redis that stopped answering would keep close() waiting for its replies: 2 s, then cut.
    if (client.isReady) await withRedisTimeout(client.close(), 2_000);
    else if (client.isOpen) client.destroy();
  } catch {
    if (client.isOpen) client.destroy();
  }
}

/**
 * `host:port` of a Redis URL, for log lines and error messages: the URL itself holds the
 * password (Heroku's REDIS_URL is `rediss://:<password>@host:port`) and is never shown.
 */
function redisTarget(url: string): string {
  const parsed = URL.parse(url);
  if (parsed === null) return '(unparsable Redis URL, not shown)';
  return `${parsed.hostname}:${parsed.port === '' ? '6379' : parsed.port}`;
}

/** A message on the bus's Redis channel: who sent it (for the delivery count) and where it goes. */
interface Envelope {
  /** The publish's id, 16 hex characters. */
  id: string;
  /** The publishing process's id: its reply channel's suffix. */
  from: string;
  topic: string;
  /** The message's JSON. */
  text: string;
}

/** A process's answer on the publisher's reply channel: how many of its sessions took publish `id`. */
interface DeliveryCount {
  id: string;
  taken: number;
}

/** Room for the envelope around a message's JSON: ids, topic and field names. */
const ENVELOPE_BYTES = 512;
const HEX_ID = /^[0-9a-f]{1,64}$/;

/** The envelope as sent: `text` is already JSON, so it goes in as is. */
function writeEnvelope({ id, from, topic, text }: Envelope): string {
  return `{"id":"${id}","from":"${from}","topic":${JSON.stringify(topic)},"data":${text}}`;
}

function writeDeliveryCount({ id, taken }: DeliveryCount): string {
  return `{"id":"${id}","taken":${taken}}`;
}

/**
 * Reads an envelope from Redis (anything could be on the channel: another app, a stray
 * `redis-cli publish`); returns the reason as a string when it is not one this bus sent.
 */
function readEnvelope(message: string, maxMessageBytes: number): Envelope | string {
  const parsed = parseBounded(message, maxMessageBytes + ENVELOPE_BYTES);
  if (!isRecord(parsed)) return 'not a JSON envelope, or over the size limit';
  const { id, from, topic, data } = parsed;
  if (typeof id !== 'string' || !HEX_ID.test(id) || typeof from !== 'string' || !HEX_ID.test(from))
    return 'an envelope without a valid id and sender';
  try {
    checkTopic(topic);
  } catch {
    return 'an envelope with an invalid topic';
  }
  if (data === undefined) return 'an envelope without data';
  return { id, from, topic, text: JSON.stringify(data) };
}

function readDeliveryCount(message: string): DeliveryCount | string {
  const parsed = parseBounded(message, 256);
  if (!isRecord(parsed)) return 'not a delivery count';
  const { id, taken } = parsed;
  if (
    typeof id !== 'string' ||
    !HEX_ID.test(id) ||
    typeof taken !== 'number' ||
    !Number.isSafeInteger(taken) ||
    taken < 0
  )
    return 'not a delivery count';
  return { id, taken };
}

/** JSON.parse that returns undefined for text over `maxChars` or that is not JSON. */
function parseBounded(text: string, maxChars: number): unknown {
  if (text.length > maxChars) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
