import { isRecord } from '../util';
import type { RelayApiCall } from './relay-api-error';

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
  if (status === 400) return 'check the arguments: action_args values must be strings and target ids Relay device ids';
  if (status === 401) {
    return 'Relay refused a freshly issued access token too: check that RELAY_API_KEY was made for RELAY_ENV (pro or qa) and RELAY_SUBSCRIBER_ID is its account';
  }
  if (status === 403)
    return "the account behind RELAY_API_KEY may not do this: check that RELAY_SUBSCRIBER_ID is that account's subscriber id";
  if (status === 404) {
    return call === 'triggerWorkflow'
      ? 'check the workflow id (relay workflow:list prints it; it starts with wf_) and that the workflow belongs to RELAY_SUBSCRIBER_ID'
      : 'check the device id and that the device belongs to RELAY_SUBSCRIBER_ID';
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
