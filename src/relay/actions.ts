import { Language } from './event';
import type { Frame } from './frame';
import { Timeouts } from './limits';
import { makeId, type Session } from './session';
import { makeTargetUris, type Target } from './uri';

/**
 * The argument types and request builders behind {@link Workflow}'s actions: LEDs, notifications,
 * calls, prompts, listening, device info and workflow variables. Each builder sends through the
 * session and turns the response into what the action resolves with.
 */

/** An LED: `ring` for all of them, or one of the 16 by number (1 is at the top). */
export type LedIndex =
  | 'ring'
  | 1
  | 2
  | 3
  | 4
  | 5
  | 6
  | 7
  | 8
  | 9
  | 10
  | 11
  | 12
  | 13
  | 14
  | 15
  | 16
  | `${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15 | 16}`;

/** The effects `wf_api_set_led_request` knows. */
export type LedEffect = 'off' | 'breathe' | 'flash' | 'rotate' | 'rainbow' | 'static';

/** The `args` of `wf_api_set_led_request`, sent as given. Colors are hex RGB such as `'00ff00'`. */
export interface LedInfo {
  rotations?: number;
  count?: number;
  duration?: number;
  repeat_delay?: number;
  pattern_repeats?: number;
  colors?: { [K in LedIndex]?: string };
}

/** Push options of a broadcast, notify or alert (`push_opts` on the wire). */
export interface NotificationOptions {
  priority: 'normal' | 'high' | 'critical';
  title: string;
  body: string;
  sound: 'default' | 'sos';
}

export type NotificationType = 'broadcast' | 'notify' | 'alert' | 'cancel';

export interface NotificationFields {
  originator?: string;
  name: string;
  text?: string;
  pushOptions?: NotificationOptions;
}

/**
 * Sends `wf_api_notification_request`. The server answers once every target device has it, so
 * the wait is 60 s, as in the SDK. Undefined fields are left out of the frame.
 */
export async function sendNotification(
  session: Session,
  target: Target,
  type: NotificationType,
  fields: NotificationFields,
): Promise<void> {
  const { originator, name, text, pushOptions } = fields;
  await session.request(
    'notification',
    { originator, type, name, text, push_opts: pushOptions },
    { target: makeTargetUris(target), timeoutMs: Timeouts.NOTIFICATION_MS },
  );
}

/** What `placeCall` sends: the callee's URI (a device URN or a phone number). */
export interface PlaceCall {
  uri?: string;
  [key: string]: unknown;
}

/** SIP registration of `registerForCalls`. */
export interface RegisterRequest {
  uri?: string;
  password?: string;
  expires?: number;
}

export type UnregisterRequest = Omit<RegisterRequest, 'expires'>;

/** A call event, or anything else that carries the call's id. */
export interface CallIdCarrier {
  call_id: string;
}

/** `answerCall`/`hangupCall` take a call id or a call event; both become `{call_id}`. */
export function toCallIdRequest(call: string | CallIdCarrier): { call_id: string } {
  if (typeof call === 'string') return { call_id: call };
  if (typeof call === 'object' && call !== null && typeof call.call_id === 'string') return { call_id: call.call_id };
  throw new TypeError('missing required parameter: pass the call id, or the call event that carries call_id');
}

export type PromptAction = 'say' | 'play';

/**
 * Sends say/play and resolves with the prompt id the response names. A response without `id`
 * resolves with the request id, which is what the Relay server puts there.
 */
export async function sendPrompt(
  session: Session,
  target: Target,
  action: PromptAction,
  payload: object,
): Promise<string> {
  const id = makeId();
  const body = await session.request(action, payload, { id, target: makeTargetUris(target) });
  return promptId(body, id);
}

/**
 * say/play, then waits for the `prompt` event with type `stopped` and the response's id. The
 * watch starts before the request is sent, so a `stopped` arriving in the same read as the
 * response is not lost.
 */
export async function sendPromptAndWait(
  session: Session,
  target: Target,
  action: PromptAction,
  payload: object,
): Promise<string> {
  const id = makeId();
  const targetUris = makeTargetUris(target);
  const prompts = session.watch('wf_api_prompt_event');
  let prompt: string;
  try {
    prompt = promptId(await session.request(action, payload, { id, target: targetUris }), id);
  } catch (error) {
    prompts.cancel();
    throw error;
  }
  const isStopped = (frame: Frame) => frame.type === 'stopped' && frame.id === prompt;
  await prompts.until(isStopped, Timeouts.EVENT_MS, `wf_api_prompt_event (stopped, id ${prompt})`);
  return prompt;
}

function promptId(body: Record<string, unknown> | undefined, requestId: string): string {
  return typeof body?.id === 'string' ? body.id : requestId;
}

/** Options of `listen`, with the SDK's defaults. */
export interface ListenOptions {
  /** Return text (true, the default) or base64 audio (false). */
  transcribe?: boolean;
  /** The language to recognise besides the device's own; `en-US` by default. */
  alt_lang?: string;
  /** Seconds to wait for speech; 60 by default. */
  timeout?: number;
}

export type TranscriptionResult = { text: string; lang: string };
export type AudioResult = { audio: string };
export type ListenResult = TranscriptionResult | AudioResult;

/**
 * Sends `wf_api_listen_request` and resolves with the `speech` event whose `request_id` is the
 * request's `_id`. Both the response and the speech get `timeout` seconds, and the speech watch starts before the request is sent.
 */
export async function listenFor(
  session: Session,
  target: Target,
  phrases: string[],
  options: ListenOptions,
): Promise<ListenResult> {
  const { transcribe = true, alt_lang = Language.ENGLISH, timeout = 60 } = options;
  const id = makeId();
  const targetUris = makeTargetUris(target);
  const speech = session.watch('wf_api_speech_event');
  try {
    await session.request(
      'listen',
      { transcribe, phrases, timeout, alt_lang },
      { id, target: targetUris, timeoutMs: timeout * 1000 },
    );
  } catch (error) {
    speech.cancel();
    throw error;
  }
  const heard = await speech.until((frame) => frame.request_id === id, timeout * 1000, 'wf_api_speech_event');
  return transcribe ? { text: heard.text as string, lang: heard.lang as string } : { audio: heard.audio as string };
}

/** What `wf_api_get_device_info_request` can ask for; the response carries the answer under the same key. */
export const DeviceInfoQuery = {
  NAME: 'name',
  ID: 'id',
  TYPE: 'type',
  ADDRESS: 'address',
  COORDINATES: 'latlong',
  BATTERY: 'battery',
  INDOOR_LOCATION: 'indoor_location',
  LOCATION: 'location',
  USERNAME: 'username',
  LOCATION_ENABLED: 'location_enabled',
} as const;

export type DeviceInfoQuery = (typeof DeviceInfoQuery)[keyof typeof DeviceInfoQuery];

/** What `wf_api_set_device_info_request` can set. */
export const DeviceInfoField = {
  LABEL: 'label',
  CHANNEL: 'channel',
  LOCATION_ENABLED: 'location_enabled',
} as const;

export type DeviceInfoField = (typeof DeviceInfoField)[keyof typeof DeviceInfoField];

/** Device kinds `getDeviceType` reports. */
export type DeviceType = 'relay' | 'relay2' | 'relay_app' | 'roip' | 'dash';

/**
 * Asks for one device field and returns the response's value under the query's key; undefined
 * when the response lacks it. A refreshed answer needs the device to report in, so it gets 45 s
 * instead of 5 s, as in the SDK.
 */
export async function readDeviceInfo<T>(
  session: Session,
  target: Target,
  query: DeviceInfoQuery,
  refresh = false,
): Promise<T | undefined> {
  const timeoutMs = refresh ? Timeouts.REFRESH_MS : Timeouts.RESPONSE_MS;
  const body = await session.request(
    'get_device_info',
    { query, refresh },
    { target: makeTargetUris(target), timeoutMs },
  );
  return body?.[query] as T | undefined;
}

/** Turns a workflow variable (always a string on the wire) into a value. */
export type Mapper<T> = (value: string) => T;

/** `'a,b'` → `['a', 'b']`, as the SDK's getArrayVar. */
export const arrayMapper: Mapper<string[]> = (value) => value.split(',');

/** `'1,2'` → `[1, 2]`, as the SDK's getNumberArrayVar. */
export const numberArrayMapper: Mapper<number[]> = (value) => arrayMapper(value).map(Number);

/** A whole number from a string of digits (or a number); NaN for anything else, as the SDK's filterInt. */
export function filterInt(value: unknown): number {
  const text = typeof value === 'number' || typeof value === 'string' ? String(value) : '';
  return /^[-+]?(\d+|Infinity)$/.test(text) ? Number(text) : NaN;
}

/**
 * How a workflow variable is written on the wire: always a string. Same rules as the SDK: numbers
 * as digits (`-0` kept), arrays joined with commas, plain objects as JSON, null and undefined as
 * the empty string.
 */
export function toVarString(value: unknown): string {
  return value === null || value === undefined ? '' : stringify(value);
}

function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(stringify).join(',');
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'symbol') return value.toString();
  if (isPlainObject(value)) return JSON.stringify(value);
  return String(value);
}

function isPlainObject(value: unknown): boolean {
  if (Object.prototype.toString.call(value) !== '[object Object]') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}
