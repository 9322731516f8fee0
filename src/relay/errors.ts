/**
 * Stable codes for the ways a workflow action can fail. Where 2.4.0 had a string for the same
 * failure, the code is that string, so code written against the SDK that checks
 * `err.message.startsWith(...)` or `err.code` keeps working.
 */
export const RelayErrorCode = {
  /** The session's WebSocket is closed; nothing more can be sent on it. */
  NOT_CONNECTED: 'websocket-not-connected',
  /** A response or event did not arrive in time. */
  TIMEOUT: 'failed-to-receive-event-timeout',
  /** A target is not a `urn:relay-resource:` URN. */
  INVALID_TARGET: 'invalid-target-uris',
  /** The socket refused the frame. */
  SEND_FAILED: 'failed-to-send',
  /** The Relay server answered with `wf_api_error_response`; the message is its error string. */
  SERVER_ERROR: 'relay-server-error',
} as const;

export type RelayErrorCode = (typeof RelayErrorCode)[keyof typeof RelayErrorCode];

/** An action that failed. `code` is stable; `message` says what happened and what to check. */
export class RelayError extends Error {
  constructor(
    readonly code: RelayErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RelayError';
  }
}

/** True for the rejection every pending action gets when its session closes. */
export function isSessionClosed(error: unknown): boolean {
  return error instanceof RelayError && error.code === RelayErrorCode.NOT_CONNECTED;
}
