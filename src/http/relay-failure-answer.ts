import { adviceFor, quoted } from '../api/describe-failure';
import { RelayApiErrorCode, type RelayApiError } from '../api/relay-api-error';
import type { WebhookAnswer } from './webhook';

/** What a webhook answers when a Relay API call it made failed, and what it logs about it. */
export interface RelayFailure {
  answer: WebhookAnswer;
  /** A short word for the log line's `outcome`. */
  outcome: 'Relay refused' | 'Relay unreachable' | 'Relay timed out' | 'not configured' | 'bad argument';
  /**
   * Fields for the log line: the error's code, Relay's status and what to check. Never Relay's own
   * message, which may quote back what the caller sent (a device id, an arg).
   */
  log: { code: string; relayStatus?: number; hint: string };
}

/**
 * Turns a failed API call into the webhook's answer: 504 when Relay did not answer in time, 502
 * (with `relay_status`) when it refused or failed after the client's retries, 503 when the client
 * lacks credentials, 400 for an argument Relay cannot take. The caller gets Relay's message (it
 * sent the request; the message may echo it); the log line does not.
 *
 * @example
 * try {
 *   await api.triggerWorkflow(id, targets, args)
 * } catch (error) {
 *   if (!(error instanceof RelayApiError)) throw error
 *   const failure = relayFailureAnswer(error)
 *   request.log.warn({ outcome: failure.outcome, ...failure.log }, 'hook failed')
 *   return failure.answer
 * }
 */
export function relayFailureAnswer(error: RelayApiError): RelayFailure {
  const { code, status, call } = error;
  if (code === RelayApiErrorCode.TIMEOUT) {
    return {
      answer: {
        status: 504,
        body: { error: "Relay's API did not answer in time; the workflow may have started anyway" },
      },
      outcome: 'Relay timed out',
      log: { code, hint: 'check RELAY_API_URL, RELAY_ENV and the network' },
    };
  }
  if (code === RelayApiErrorCode.CONFIG) {
    return {
      answer: { status: 503, body: { error: 'set RELAY_API_KEY and RELAY_SUBSCRIBER_ID' } },
      outcome: 'not configured',
      log: { code, hint: error.message },
    };
  }
  if (code === RelayApiErrorCode.ARGUMENT) {
    // The route's schema should have refused it already; the message names the argument, not its value.
    return {
      answer: { status: 400, body: { error: error.message } },
      outcome: 'bad argument',
      log: { code, hint: 'tighten the route schema to match the API client' },
    };
  }
  if (status !== undefined) {
    // Relay said no (a 4xx) or that it was unavailable (429, 503): it did not act, so a retry with
    // the same Idempotency-Key may try again. A 500, 502 or 504 may follow a request it acted on.
    const didNotAct = status < 500 || status === 503;
    return {
      answer: {
        status: 502,
        body: { error: `Relay answered HTTP ${status}${quoted(error.relayMessage)}`, relay_status: status },
        keep: !didNotAct,
      },
      outcome: 'Relay refused',
      log: { code, relayStatus: status, hint: adviceFor(call, status) },
    };
  }
  const unusable = code === RelayApiErrorCode.RESPONSE;
  return {
    answer: {
      status: 502,
      body: { error: unusable ? "Relay's answer could not be used" : "Relay's API could not be reached" },
    },
    outcome: 'Relay unreachable',
    log: { code, hint: unusable ? 'check RELAY_API_URL' : 'check RELAY_API_URL, RELAY_ENV and the network' },
  };
}
