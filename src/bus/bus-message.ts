import { BusError, BusErrorCode } from './bus-error';

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

/** `data` as JSON, checked against `maxBytes`; throws a BusError that says what to change. */
export function encodeMessage(data: unknown, maxBytes = MAX_MESSAGE_BYTES): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(data);
  } catch (error) {
    throw new BusError(
      BusErrorCode.NOT_JSON,
      `a bus message must be JSON data (no BigInt, no cycles): ${(error as Error).message}`,
      {
        cause: error,
      },
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
