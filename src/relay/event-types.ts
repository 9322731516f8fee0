import type { Event } from './event';

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
