import { isRecord } from '../util';
/** One JSON object on the wire. Payload keys sit next to the `_` keys. */
export interface Frame {
  _type: string;
  _id?: string;
  _target?: { uris: string[] };
  [key: string]: unknown;
}

export const ERROR_RESPONSE = 'wf_api_error_response';
export const PROGRESS_EVENT = 'wf_api_progress_event';
const EVENT_NAME = /^\w+$/;

/** Why a frame was refused, with the WebSocket close code that fits. */
export interface FrameProblem {
  problem: string;
  /** 1007: not a JSON object; 1002: not a Relay message. */
  closeCode: 1002 | 1007;
}

/**
 * Parses one text frame as sent: arrays stay arrays (docs/sdk-differences.md, `arrays-kept`).
 * Returns a problem instead of throwing, so the caller decides what a bad frame costs.
 */
export function parseFrame(text: string): Frame | FrameProblem {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return { problem: 'frame is not valid JSON', closeCode: 1007 };
  }
  if (!isRecord(frame)) return { problem: 'frame is not a JSON object', closeCode: 1007 };
  if (typeof frame._type !== 'string') return { problem: 'frame has no string _type', closeCode: 1002 };
  if (frame._id !== undefined && typeof frame._id !== 'string')
    return { problem: 'frame has a non-string _id', closeCode: 1002 };
  return frame as Frame;
}

export function isFrameProblem(parsed: Frame | FrameProblem): parsed is FrameProblem {
  return !('_type' in parsed);
}

/**
 * Fields without which an event cannot be handled, with the JSON type each must have; such an
 * event is ignored with a warning. A Map, not an object literal: the event name comes from the
 * peer, and `constructor` or `__proto__` must find nothing rather than something inherited.
 */
const REQUIRED_FIELDS: ReadonlyMap<
  string,
  ReadonlyArray<readonly [field: string, type: 'string' | 'object']>
> = new Map([
  ['start', [['trigger', 'object']]],
  [
    'interaction_lifecycle',
    [
      ['type', 'string'],
      ['source_uri', 'string'],
    ],
  ],
  ['prompt', [['type', 'string']]],
  ['speech', [['request_id', 'string']]],
  [
    'button',
    [
      ['button', 'string'],
      ['taps', 'string'],
    ],
  ],
  ['timer_fired', [['name', 'string']]],
] as const);

/** The first required field an event lacks or has with the wrong type, described for a log line; undefined when all are there. */
export function missingField(name: string, frame: Frame): string | undefined {
  for (const [field, type] of REQUIRED_FIELDS.get(name) ?? []) {
    const value = Object.hasOwn(frame, field) ? frame[field] : undefined;
    if (type === 'string' ? typeof value !== 'string' : !isRecord(value)) {
      return `a ${type} ${field}`;
    }
  }
  return undefined;
}

/**
 * Most commas, colons and opening brackets a frame may hold. JSON.parse of a frame with hundreds
 * of thousands of keys, values or nested arrays takes about a second of the only thread; a real
 * Relay frame has a few dozen (a group's member list a few thousand), and its largest, a `speech`
 * event with audio, carries one long base64 string, which has none.
 */
export const MAX_FRAME_SEPARATORS = 20_000;

/** Frames smaller than this cannot hold MAX_FRAME_SEPARATORS worth parsing time, so are not counted. */
const COUNT_ABOVE_BYTES = 32 * 1024;

const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;

/** Whether a message holds more than {@link MAX_FRAME_SEPARATORS} commas, colons and `[`/`{` (counted without parsing). */
export function hasTooManyValues(data: Buffer): boolean {
  if (data.length < COUNT_ABOVE_BYTES) return false;
  let count = 0;
  for (let index = 0; index < data.length; index++) {
    const byte = data[index];
    if (
      (byte === COMMA || byte === COLON || byte === OPEN_ARRAY || byte === OPEN_OBJECT) &&
      ++count > MAX_FRAME_SEPARATORS
    )
      return true;
  }
  return false;
}

/** A message as one Buffer, whatever form `ws` delivered it in (a Buffer, unless fragments or another binaryType). */
export function bufferOf(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

/** The text of a message as `ws` delivers it. */
export function textOf(data: Buffer | ArrayBuffer | Buffer[]): string {
  return bufferOf(data).toString();
}

/** `wf_api_button_event` → `button`; undefined for anything that is not an event type. */
export function eventName(type: string): string | undefined {
  // String tests first: the regex then runs on the short middle only, and on every event.
  if (!type.startsWith('wf_api_') || !type.endsWith('_event')) return undefined;
  const name = type.slice(7, -6);
  return EVENT_NAME.test(name) ? name : undefined;
}

/** The frame as a handler sees it: everything but `_type`. */
export function eventPayload(frame: Frame): Record<string, unknown> {
  const { _type: _ignored, ...payload } = frame;
  return payload;
}
