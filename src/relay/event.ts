/**
 * Names of the events a workflow can handle: 2.4.0's `Event` enum with the names it lacks
 * (`timer_fired`, `call_progressing`, `progress`), as one `as const` object so that it exists at
 * run time (2.4.0 exports its `Event` as a type only).
 *
 * `error` is not a wire event: the runtime raises it when a handler throws or rejects.
 */
export const Event = {
  ERROR: 'error',
  START: 'start',
  STOP: 'stop',
  INTERACTION_LIFECYCLE: 'interaction_lifecycle',
  INTERACTION_STARTED: 'interaction_started',
  INTERACTION_RESUMED: 'interaction_resumed',
  INTERACTION_SUSPENDED: 'interaction_suspended',
  INTERACTION_ENDED: 'interaction_ended',
  INTERACTION_FAILED: 'interaction_failed',
  BUTTON: 'button',
  TIMER: 'timer',
  TIMER_FIRED: 'timer_fired',
  NOTIFICATION: 'notification',
  INCIDENT: 'incident',
  PROMPT: 'prompt',
  SPEECH: 'speech',
  PROGRESS: 'progress',
  CALL_RINGING: 'call_ringing',
  CALL_PROGRESSING: 'call_progressing',
  CALL_CONNECTED: 'call_connected',
  CALL_DISCONNECTED: 'call_disconnected',
  CALL_FAILED: 'call_failed',
  CALL_RECEIVED: 'call_received',
  CALL_START_REQUEST: 'call_start_request',
} as const;

export type EventName = (typeof Event)[keyof typeof Event];

/** Spoken languages, as 2.4.0's `Language` enum (also exported there as a type only). */
export const Language = {
  ENGLISH: 'en-US',
  GERMAN: 'de-DE',
  SPANISH: 'es-ES',
  FRENCH: 'fr-FR',
  ITALIAN: 'it-IT',
  RUSSIAN: 'ru-RU',
  SWEDISH: 'sv-SE',
  TURKISH: 'tr-TR',
  HINDI: 'hi-IN',
  ICELANDIC: 'is-IS',
  JAPANESE: 'ja-JP',
  KOREAN: 'ko-KR',
  POLISH: 'pl-PK',
  PORTUGUESE: 'pt-BR',
  NORWEGIAN: 'nb-NO',
  DUTCH: 'nl-NL',
  CHINESE: 'zh',
  ARABIC: 'ar',
  VIETNAMESE: 'vi-VN',
  INDONESIAN: 'id-ID',
  FILIPINO: 'fil-PH',
  DANISH: 'da-DK',
  CZECH: 'cs-CZ',
  GUJURATI: 'gu-IN',
  HUNGARIAN: 'hu-HU',
  TAMIL: 'ta-IN',
  UKRANIAN: 'uk-UA',
  SLOVAK: 'sk-SK',
  ROMANIAN: 'ro-RO',
  PUNJABI: 'pa-IN',
  MALAY: 'ms-MY',
  BENGALI: 'bn-IN',
  GREEK: 'el-GR',
  KANNADA: 'kn-IN',
  FINNISH: 'fi-FI',
} as const;

export type LanguageCode = (typeof Language)[keyof typeof Language];

/** Fields of a trigger that every trigger type carries. */
export interface TriggerArgs {
  /** The device (or server) URN that fired the trigger. */
  source_uri: string;
  [key: string]: unknown;
}

export type TriggerType =
  'phrase' | 'button' | 'http' | 'nfc' | 'emergency' | 'other' | 'calendar' | 'geofence' | 'telephony';

export interface StartEvent {
  trigger: { type: TriggerType | (string & {}); args: TriggerArgs };
}

export interface StopEvent {
  reason: 'normal' | 'error' | (string & {});
}

export type InteractionLifecycleType = 'started' | 'resumed' | 'suspended' | 'ended' | 'failed';

export interface InteractionLifecycleEvent {
  type: InteractionLifecycleType;
  /** The interaction URN: the target for say, listen and the other interactive actions. */
  source_uri: string;
  reason?: string;
}

export interface PromptEvent {
  type: 'started' | 'stopped';
  /** The id of the say/play request the prompt belongs to; absent for prompts the workflow did not ask for. */
  id?: string;
  source_uri: string;
}

export interface SpeechEvent {
  request_id: string;
  text?: string;
  audio?: string;
  lang?: string;
  source_uri: string;
}

export interface ButtonEvent {
  button: 'action' | 'channel';
  taps: 'single' | 'double' | 'triple' | 'long';
  source_uri: string;
}

export interface NotificationState {
  acknowledged: string[];
  created: string[];
  cancelled: string[];
  timed_out: string[];
}

export interface NotificationEvent {
  source_uri: string;
  event: string;
  name: string;
  notification_state: NotificationState;
}

export interface TimerFiredEvent {
  name: string;
}

export interface IncidentEvent {
  type: 'resolved' | 'cancelled';
  incident_id: string;
  reason: string;
}

export interface CallEvent {
  call_id: string;
  direction?: 'inbound' | 'outbound';
  device_id?: string;
  device_name?: string;
  uri?: string;
  onnet?: boolean;
  start_time_epoch?: number;
  connect_time_epoch?: number;
  end_time_epoch?: number;
  reason?: string;
}

/** A `wf_api_progress_event` without `_id` (one with `_id` only keeps its request waiting). */
export type ProgressEvent = Record<string, unknown>;

/** The unnamed timer of `startTimer`; the Relay server sends no fields. */
export type TimerEvent = Record<string, unknown>;

export interface CallStartRequestEvent {
  /** Whom the user asked to call. */
  uri: string;
}

/** SMS status (relay-py/java/.net know it; not in 2.4.0's enum, so not in {@link Event}). */
export interface SmsEvent {
  id: string;
  event: string;
}

export interface ErrorEvent {
  error: Error;
}

/** What each handler receives: the event frame without its `_type`. */
export interface EventPayloads {
  [Event.ERROR]: ErrorEvent;
  [Event.START]: StartEvent;
  [Event.STOP]: StopEvent;
  [Event.INTERACTION_LIFECYCLE]: InteractionLifecycleEvent;
  [Event.INTERACTION_STARTED]: InteractionLifecycleEvent;
  [Event.INTERACTION_RESUMED]: InteractionLifecycleEvent;
  [Event.INTERACTION_SUSPENDED]: InteractionLifecycleEvent;
  [Event.INTERACTION_ENDED]: InteractionLifecycleEvent;
  [Event.INTERACTION_FAILED]: InteractionLifecycleEvent;
  [Event.BUTTON]: ButtonEvent;
  [Event.TIMER]: TimerEvent;
  [Event.TIMER_FIRED]: TimerFiredEvent;
  [Event.NOTIFICATION]: NotificationEvent;
  [Event.INCIDENT]: IncidentEvent;
  [Event.PROMPT]: PromptEvent;
  [Event.SPEECH]: SpeechEvent;
  [Event.PROGRESS]: ProgressEvent;
  [Event.CALL_RINGING]: CallEvent;
  [Event.CALL_PROGRESSING]: CallEvent;
  [Event.CALL_CONNECTED]: CallEvent;
  [Event.CALL_DISCONNECTED]: CallEvent;
  [Event.CALL_FAILED]: CallEvent;
  [Event.CALL_RECEIVED]: CallEvent;
  [Event.CALL_START_REQUEST]: CallStartRequestEvent;
  sms: SmsEvent;
}

/** A handler for a named event. It may be async; the next event waits until it settles. */
export type EventHandler<E> = (event: E) => unknown;
