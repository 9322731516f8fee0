/** Stable codes for the ways a Relay HTTP API call can fail. */
export const RelayApiErrorCode = {
  /** Relay answered with an HTTP error status (other than the auth failures below). */
  HTTP: 'ERR_RELAY_API_HTTP',
  /** No answer within `timeoutMs`. */
  TIMEOUT: 'ERR_RELAY_API_TIMEOUT',
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
export type RelayApiCall = 'triggerWorkflow' | 'fetchDevice';

export interface RelayApiErrorInit {
  call: RelayApiCall;
  code: RelayApiErrorCode;
  message: string;
  status?: number;
  relayMessage?: string;
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

  constructor({ call, code, message, status, relayMessage, cause }: RelayApiErrorInit) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RelayApiError';
    this.call = call;
    this.code = code;
    this.status = status;
    this.relayMessage = relayMessage;
  }
}
