/**
 * The Relay HTTP API client's one error type, and the wording of its messages: what Relay said
 * (scrubbed of secrets) and what to check.
 */
import { isRecord } from '../util';
import type { NoAnswer } from './transport';

/** Stable codes for the ways a Relay HTTP API call can fail. */
export const RelayApiErrorCode = {
  /** Relay answered with an HTTP error status (other than the auth failures below). */
  HTTP: 'ERR_RELAY_API_HTTP',
  /** One HTTP attempt got no answer within `timeoutMs`. */
  TIMEOUT: 'ERR_RELAY_API_TIMEOUT',
  /** The call's `deadlineMs` passed: token request, attempts and the waits between them included. */
  DEADLINE: 'ERR_RELAY_API_DEADLINE',
  /** The request did not get through (connection refused or reset, DNS failure...). */
  NETWORK: 'ERR_RELAY_API_NETWORK',
  /** Relay refused the refresh token or the access token (RELAY_API_KEY, RELAY_ENV). */
  AUTH: 'ERR_RELAY_API_AUTH',
  /** Relay's answer could not be used: too large, or not the JSON the call needs. */
  RESPONSE: 'ERR_RELAY_API_RESPONSE',
  /** The client is missing settings (RELAY_API_KEY, RELAY_SUBSCRIBER_ID) or has unusable ones. */
  CONFIG: 'ERR_RELAY_API_CONFIG',
  /** The caller passed an argument Relay cannot take (an empty workflow id, a non-string arg...). */
  ARGUMENT: 'ERR_RELAY_API_ARGUMENT',
} as const;

export type RelayApiErrorCode = (typeof RelayApiErrorCode)[keyof typeof RelayApiErrorCode];

/** The API methods, as errors and log lines name them. */
export type RelayApiCall = 'triggerWorkflow' | 'fetchDevice' | 'listWorkflows' | 'saveWorkflow' | 'deleteWorkflow';

export interface RelayApiErrorInit {
  call: RelayApiCall;
  code: RelayApiErrorCode;
  /** Starts with the call's name, as every message of this client does. */
  message: string;
  status?: number;
  relayMessage?: string;
  deadlineMs?: number;
  cause?: unknown;
}

/**
 * A failed Relay HTTP API call. `code` is stable; `message` names the call, the HTTP status and
 * Relay's own message, and says what to check. Neither the message nor any field ever holds the
 * refresh token (RELAY_API_KEY) or an access token: Relay's message is scrubbed of both before it
 * gets here.
 *
 * @example
 * try {
 *   await api.triggerWorkflow('wf_broadcast_x1y2')
 * } catch (err) {
 *   if (err instanceof RelayApiError && err.status === 404) log.warn({ err }, 'workflow not registered')
 *   else throw err
 * }
 */
export class RelayApiError extends Error {
  /** The method that failed, such as `triggerWorkflow`. */
  readonly call: RelayApiCall;
  readonly code: RelayApiErrorCode;
  /** Relay's HTTP status; undefined when no answer came (timeout, network). */
  readonly status: number | undefined;
  /** Relay's own explanation from the answer's body, truncated; undefined when it gave none. */
  readonly relayMessage: string | undefined;
  /** The deadline that passed (ERR_RELAY_API_DEADLINE); undefined for every other code. */
  readonly deadlineMs: number | undefined;

  constructor({ call, code, message, status, relayMessage, deadlineMs, cause }: RelayApiErrorInit) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RelayApiError';
    this.call = call;
    this.code = code;
    this.status = status;
    this.relayMessage = relayMessage;
    this.deadlineMs = deadlineMs;
  }
}

/**
 * `error` as `call`'s own: concurrent calls share one token request, and each reports its failure
 * under its own name. Anything but a RelayApiError of another call is returned as it is.
 */
export function asCallError(error: unknown, call: RelayApiCall): unknown {
  if (!(error instanceof RelayApiError) || error.call === call) return error;
  return new RelayApiError({
    call,
    code: error.code,
    status: error.status,
    relayMessage: error.relayMessage,
    deadlineMs: error.deadlineMs,
    message: `${call}${error.message.slice(error.call.length)}`,
  });
}

/** The code of a call that got no usable answer. */
export function noAnswerCode(kind: NoAnswer['kind']): RelayApiErrorCode {
  if (kind === 'timeout') return RelayApiErrorCode.TIMEOUT;
  if (kind === 'network') return RelayApiErrorCode.NETWORK;
  if (kind === 'cancelled') return RelayApiErrorCode.DEADLINE;
  return RelayApiErrorCode.RESPONSE;
}

/** Longest Relay message kept in an error (its body may be a whole HTML error page). */
const MAX_MESSAGE_CHARS = 300;

/**
 * Relay's explanation from an answer's body: the `message`, `error_description`, `error` or
 * `detail` string of a JSON body, else the first line of the text. Secrets are replaced by
 * `[redacted]` (a misbehaving server may echo the token it was sent), control characters dropped,
 * and the result truncated. Undefined when the body says nothing.
 */
export function relayMessageOf(text: string, secrets: readonly string[]): string | undefined {
  let message = firstLine(text);
  const parsed = parseJson(text);
  if (isRecord(parsed)) {
    const field = ['message', 'error_description', 'error', 'detail'].find(
      (name) => Object.hasOwn(parsed, name) && typeof parsed[name] === 'string',
    );
    message = field === undefined ? '' : String(parsed[field]);
  }
  for (const secret of secrets) if (secret !== '') message = message.replaceAll(secret, '[redacted]');
  // eslint-disable-next-line no-control-regex
  message = message.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (message === '') return undefined;
  return message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message;
}

/** JSON.parse, or undefined for text that is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** What to check after an HTTP error status from an API call (no caller data: safe for a log line). */
export function adviceFor(call: RelayApiCall, status: number): string {
  if (status === 400 && call === 'saveWorkflow')
    return "check the workflow's registration (trigger, args, install) against Relay's message";
  if (status === 400) return 'check the arguments: action_args values must be strings and target ids Relay device ids';
  if (status === 401) {
    return 'Relay refused a freshly issued access token too: check that RELAY_API_KEY was made for RELAY_ENV (pro or qa) and RELAY_SUBSCRIBER_ID is its account';
  }
  if (status === 403)
    return "the account behind RELAY_API_KEY may not do this: check that RELAY_SUBSCRIBER_ID is that account's subscriber id";
  if (status === 404) {
    return call === 'fetchDevice'
      ? 'check the device id and that the device belongs to RELAY_SUBSCRIBER_ID'
      : 'check the workflow id (relay workflow:list prints it; it starts with wf_) and that the workflow belongs to RELAY_SUBSCRIBER_ID';
  }
  if (status === 429) return 'Relay is rate-limiting this app: make fewer calls, or space them out';
  if (status >= 500)
    return "Relay's API is failing or unavailable: try again later; if it lasts, check RELAY_API_URL and RELAY_ENV";
  return "check the call's arguments against Relay's message";
}

/** The message of an HTTP error from an API call: the call, the status, Relay's words and the advice. */
export function httpFailureMessage(
  call: RelayApiCall,
  status: number,
  relayMessage: string | undefined,
  attempts: number,
): string {
  return `${call} failed: Relay answered HTTP ${status}${quoted(relayMessage)}${afterAttempts(attempts)}; ${adviceFor(call, status)}`;
}

/** ` "<message>"`, or nothing. */
export function quoted(relayMessage: string | undefined): string {
  return relayMessage === undefined ? '' : ` "${relayMessage}"`;
}

/** ` after 3 attempts`, or nothing for a single attempt. */
export function afterAttempts(attempts: number): string {
  return attempts > 1 ? ` after ${attempts} attempts` : '';
}

/** Whole, not cut: a secret must be scrubbed before anything is truncated. */
function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return (end === -1 ? text : text.slice(0, end)).trim();
}
