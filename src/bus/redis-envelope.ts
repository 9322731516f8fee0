import { checkTopic } from './bus-message';
import { isRecord } from '../util';

/** A message on the bus's Redis channel: who sent it (for the delivery count) and where it goes. */
export interface Envelope {
  /** The publish's id, 16 hex characters. */
  id: string;
  /** The publishing process's id: its reply channel's suffix. */
  from: string;
  topic: string;
  /** The message's JSON. */
  text: string;
}

/** A process's answer on the publisher's reply channel: how many of its sessions took publish `id`. */
export interface DeliveryCount {
  id: string;
  taken: number;
}

/** Room for the envelope around a message's JSON: ids, topic and field names. */
const ENVELOPE_BYTES = 512;
const HEX_ID = /^[0-9a-f]{1,64}$/;

/** The envelope as sent: `text` is already JSON, so it goes in as is. */
export function writeEnvelope({ id, from, topic, text }: Envelope): string {
  return `{"id":"${id}","from":"${from}","topic":${JSON.stringify(topic)},"data":${text}}`;
}

export function writeDeliveryCount({ id, taken }: DeliveryCount): string {
  return `{"id":"${id}","taken":${taken}}`;
}

/**
 * Reads an envelope from Redis (anything could be on the channel: another app, a stray
 * `redis-cli publish`); returns the reason as a string when it is not one this bus sent.
 */
export function readEnvelope(message: string, maxMessageBytes: number): Envelope | string {
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

export function readDeliveryCount(message: string): DeliveryCount | string {
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
