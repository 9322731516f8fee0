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
