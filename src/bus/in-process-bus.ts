import type { Logger } from 'pino';
import { BusError, BusErrorCode } from './bus-error';
import { checkTopic, encodeMessage, MAX_MESSAGE_BYTES } from './bus-message';
import { LocalTopics } from './local-topics';
import type { BusHandler, BusState, SessionBus, Unsubscribe } from './session-bus';

export interface InProcessBusOptions {
  log: Logger;
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

  constructor({ log, maxMessageBytes = MAX_MESSAGE_BYTES }: InProcessBusOptions) {
    this.topics = new LocalTopics(log);
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
    if (this.closed)
      throw new BusError(
        BusErrorCode.CLOSED,
        'the bus is closed (the server is shutting down): nothing can be published on it',
      );
    checkTopic(topic);
    return this.topics.deliver(topic, encodeMessage(data, this.maxMessageBytes));
  }

  close(): Promise<void> {
    this.closed = true;
    this.topics.clear();
    return Promise.resolve();
  }
}
