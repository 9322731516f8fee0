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
 * Parses one text frame. Unlike 2.4.0 it leaves arrays alone (2.4.0 turns `[]` into `""` and any
 * array of small integers into a string). Returns a problem instead of throwing, so the caller
 * decides what a bad frame costs.
 */
export function parseFrame(text: string): Frame | FrameProblem {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'frame is not valid JSON', closeCode: 1007 };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problem: 'frame is not a JSON object', closeCode: 1007 };
  }
  const frame = value as Record<string, unknown>;
  if (typeof frame._type !== 'string') return { problem: 'frame has no string _type', closeCode: 1002 };
  if (frame._id !== undefined && typeof frame._id !== 'string') return { problem: 'frame has a non-string _id', closeCode: 1002 };
  return frame as Frame;
}

export function isFrameProblem(parsed: Frame | FrameProblem): parsed is FrameProblem {
  return !('_type' in parsed);
}

/** Fields without which an event cannot be handled; such an event is ignored with a warning. */
const REQUIRED_FIELDS: Readonly<Record<string, ReadonlyArray<string>>> = {
  start: ['trigger'],
  interaction_lifecycle: ['type', 'source_uri'],
  prompt: ['type'],
  speech: ['request_id'],
  button: ['button', 'taps'],
  timer_fired: ['name'],
};

/** The first required field an event lacks, if any. */
export function missingField(name: string, frame: Frame): string | undefined {
  for (const field of REQUIRED_FIELDS[name] ?? []) {
    if (frame[field] === undefined || frame[field] === null) return field;
  }
  return undefined;
}

/** The text of a message as `ws` delivers it (a Buffer, unless fragments or another binaryType). */
export function textOf(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString();
  return Buffer.isBuffer(data) ? data.toString() : Buffer.from(data).toString();
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
