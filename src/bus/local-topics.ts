import type { Logger } from 'pino';
import { checkTopic } from './bus-message';
import type { BusHandler, Unsubscribe } from './session-bus';

/**
 * The handlers subscribed in this process, by topic: both bus implementations deliver through it.
 * Delivery never throws: a handler that does is logged and counted as not having taken the message.
 */
export class LocalTopics {
  private readonly byTopic = new Map<string, Set<BusHandler>>();
  private count = 0;

  constructor(private readonly log: Logger) {}

  get size(): number {
    return this.count;
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
        this.log.warn({ topic: topic.slice(0, 100), bytes: text.length }, 'bus message is not JSON; dropped');
        return 0;
      }
      try {
        if (handler(data, bytes) !== false) taken++;
      } catch (err) {
        this.log.error({ err, topic: topic.slice(0, 100) }, 'bus handler threw; the message counts as not taken');
      }
    }
    return taken;
  }

  clear(): void {
    this.byTopic.clear();
    this.count = 0;
  }
}
