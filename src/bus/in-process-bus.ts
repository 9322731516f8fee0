/**
 * The bus inside one process (`InProcessBus`), and the handlers subscribed in this process
 * (`LocalTopics`), through which both buses deliver.
 */
import type { Logger } from 'pino';
import {
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

export interface InProcessBusOptions {
  /** Where handler failures and undeliverable messages are logged. Required (or `log`). */
  logger?: Logger;
  /** Largest message in bytes of JSON (default 64 KiB). */
  maxMessageBytes?: number;
}

/**
 * The bus inside one process: the default with no REDIS_URL (one dyno, `npm run dev`, tests).
 * It behaves as the Redis bus does (JSON only, size limit, each handler gets its own copy), so
 * code tested against it works across dynos unchanged; it just cannot reach another process.
 */
export class InProcessBus implements SessionBus {
  private readonly topics: LocalTopics;
  private readonly maxMessageBytes: number;
  private closed = false;

  constructor({ logger, maxMessageBytes = MAX_MESSAGE_BYTES }: InProcessBusOptions) {
    this.topics = new LocalTopics(requiredLogger(logger, 'InProcessBus'));
    this.maxMessageBytes = maxMessageBytes;
  }

  get state(): BusState {
    return this.closed ? 'down' : 'embedded';
  }

  get subscriptions(): number {
    return this.topics.size;
  }

  subscribe(topic: string, handler: BusHandler): Unsubscribe {
    return this.topics.add(topic, handler);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so that every refusal is a rejection, as on Redis
  async publish(topic: string, data: unknown): Promise<number> {
    const text = messageToPublish(this.closed, topic, data, this.maxMessageBytes);
    return this.topics.deliver(topic, text);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- see publish
  async hasSubscribers(topic: string): Promise<boolean> {
    checkLookup(this.closed, topic);
    return this.topics.has(topic);
  }

  close(): Promise<void> {
    this.closed = true;
    this.topics.clear();
    return Promise.resolve();
  }
}

/**
 * The handlers subscribed in this process, by topic: both bus implementations deliver through it.
 * Delivery never throws: a handler that does is logged and counted as not having taken the message.
 */
export class LocalTopics {
  private readonly byTopic = new Map<string, Set<BusHandler>>();
  private count = 0;

  constructor(private readonly logger: Logger) {}

  get size(): number {
    return this.count;
  }

  /** Whether a handler is subscribed to `topic` in this process. */
  has(topic: string): boolean {
    return this.byTopic.has(topic);
  }

  add(topic: string, handler: BusHandler): Unsubscribe {
    checkTopic(topic);
    if (typeof handler !== 'function')
      throw new TypeError(`bus.subscribe(${JSON.stringify(topic)}, handler) needs a function, got ${typeof handler}`);
    // A wrapper per subscription: the same function subscribed twice counts twice, and each unsubscribes alone.
    const entry: BusHandler = (data, bytes) => handler(data, bytes);
    let handlers = this.byTopic.get(topic);
    if (handlers === undefined) {
      handlers = new Set();
      this.byTopic.set(topic, handlers);
    }
    handlers.add(entry);
    this.count++;
    return () => {
      const current = this.byTopic.get(topic);
      if (current === undefined || !current.delete(entry)) return;
      this.count--;
      if (current.size === 0) this.byTopic.delete(topic);
    };
  }

  /**
   * Hands `text` (the message's JSON) to every handler of `topic`, each its own parse, and returns
   * how many took it. A text that is not JSON reaches nobody.
   */
  deliver(topic: string, text: string): number {
    const handlers = this.byTopic.get(topic);
    if (handlers === undefined) return 0;
    let taken = 0;
    const bytes = Buffer.byteLength(text);
    for (const handler of [...handlers]) {
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        this.logger.warn({ topic: topic.slice(0, 100), bytes: text.length }, 'bus message is not JSON; dropped');
        return 0;
      }
      try {
        if (handler(data, bytes) !== false) taken++;
      } catch (err) {
        this.logger.error({ err, topic: topic.slice(0, 100) }, 'bus handler threw; the message counts as not taken');
      }
    }
    return taken;
  }

  clear(): void {
    this.byTopic.clear();
    this.count = 0;
  }
}
