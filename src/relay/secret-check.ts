import { secretsMatch, withTimeout } from '../util';
import { RelayError, RelayErrorCode } from './errors';
import type { ResponseBody } from './pending-waits';

/**
 * The workflow secret (WORKFLOW_SECRET): a registration arg that Relay hands over only when asked
 * (`get_var`), on the TLS connection, so that it never travels in a URL as `?token=` does and never
 * shows in Heroku's router logs. `npm run register` puts it in every registration; each session
 * asks for it right after the start event, before any workflow handler runs. docs/security.md.
 */

/** The reserved registration arg that carries WORKFLOW_SECRET. Workflows cannot read, set or unset it. */
export const SECRET_ARG = 'workflow_secret';

/** How long Relay has to answer the session's `get_var workflow_secret`; a slower answer closes the session with 1008. */
export const SECRET_ANSWER_MS = 5_000;

/** Why a session was refused: no such arg, another value, or no answer in time. */
export type SecretRefusal = 'missing' | 'wrong' | 'no-answer';

/** The outcome of one check: which configured value matched, a refusal, or the session closed first. */
export type SecretCheck = { accepted: 'current' | 'previous' } | { refused: SecretRefusal } | { closed: true };

/** The values a session is accepted with: WORKFLOW_SECRET and, during a rotation, WORKFLOW_SECRET_PREVIOUS. */
export interface WorkflowSecrets {
  current: string;
  previous?: string;
}

/** What the close frame and the log line say for each refusal; neither ever holds a value. */
export const SECRET_REFUSALS: Readonly<Record<SecretRefusal, string>> = {
  missing:
    'its registration has no workflow_secret arg, and WORKFLOW_SECRET is set: register with npm run register, or unset WORKFLOW_SECRET to rely on ?token= alone',
  wrong:
    'its workflow_secret arg matches neither WORKFLOW_SECRET nor WORKFLOW_SECRET_PREVIOUS: run npm run register, or set WORKFLOW_SECRET_PREVIOUS during a rotation',
  'no-answer': `Relay did not answer get_var workflow_secret within ${SECRET_ANSWER_MS} ms`,
};

/**
 * Asks the peer for the secret with `ask` (a `get_var` request) and compares its answer with each
 * configured value in constant time. Never rejects: a failure to send or an error response count as
 * `missing`, a closed session as `closed`, a late answer as `no-answer`.
 */
export async function checkWorkflowSecret(
  ask: () => Promise<ResponseBody>,
  secrets: WorkflowSecrets,
  answerMs = SECRET_ANSWER_MS,
): Promise<SecretCheck> {
  let body: ResponseBody;
  try {
    body = await withTimeout(
      ask(),
      answerMs,
      () => new RelayError(RelayErrorCode.TIMEOUT, `${RelayErrorCode.TIMEOUT}: no answer within ${answerMs} ms`),
    );
  } catch (error) {
    if (error instanceof RelayError && error.code === RelayErrorCode.NOT_CONNECTED) return { closed: true };
    if (error instanceof RelayError && error.code === RelayErrorCode.TIMEOUT) return { refused: 'no-answer' };
    return { refused: 'missing' };
  }
  const given = body !== undefined && Object.hasOwn(body, 'value') ? body.value : undefined;
  if (given === undefined || given === null || given === '') return { refused: 'missing' };
  if (typeof given !== 'string') return { refused: 'wrong' };
  // Both compared every time, so the time taken says nothing about which one (if any) matched.
  const current = secretsMatch(given, secrets.current);
  const previous = secrets.previous !== undefined && secretsMatch(given, secrets.previous);
  if (current) return { accepted: 'current' };
  if (previous) return { accepted: 'previous' };
  return { refused: 'wrong' };
}
