import type { FastifySchemaValidationError } from 'fastify';
import { RelayApiError } from '../api/errors';
import type { RelayApi } from '../api/relay-api';
import type { Config } from '../config';
import { defineRoutes } from '../http/define-routes';
import {
  answerOnce,
  answerUnconfigured,
  relayFailureAnswer,
  requireWebhookSecret,
  type AnsweredOnce,
  type RelayFailure,
  type WebhookAnswer,
} from '../http/webhook';

/** The body `POST /hooks/broadcast` takes. */
interface BroadcastRequest {
  group: string;
  message: string;
  timeout_secs?: number;
  device_ids?: string[];
}

const FIELDS = ['group', 'message', 'timeout_secs', 'device_ids'] as const;

const bodySchema = {
  type: 'object',
  required: ['group', 'message'],
  // Refused rather than dropped (the server's ajv removes what additionalProperties forbids): a
  // misspelt `timeout_sec` must not pass unnoticed. Named in the 400 by formatError below.
  propertyNames: { enum: FIELDS },
  additionalProperties: false,
  properties: {
    group: { type: 'string', minLength: 1, maxLength: 100 },
    message: { type: 'string', minLength: 1, maxLength: 1000 },
    timeout_secs: { type: 'integer', minimum: 1, maximum: 3600 },
    device_ids: {
      type: 'array',
      minItems: 1,
      maxItems: 50,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 128 },
    },
  },
} as const;

/**
 * `POST /hooks/broadcast`: another system (a nurse-call system, a ticketing tool...) broadcasts a
 * message to a Relay group by triggering the `broadcast` sample workflow through Relay's HTTP API.
 *
 * - Needs `Authorization: Bearer <WEBHOOK_SECRET>` (401 otherwise), checked before the body is
 *   read; with WEBHOOK_SECRET, the API settings or BROADCAST_WORKFLOW_ID unset, 503 naming them.
 * - JSON `{group, message, timeout_secs?, device_ids?}`: 400 naming the field, 413 over 16 KiB,
 *   415 when not JSON.
 * - `Idempotency-Key`: a retry within 10 minutes gets the first answer and triggers nothing.
 * - 202 `{workflow_id}` once Relay accepted the trigger; 502 (with `relay_status`) when Relay
 *   refused it or failed after retries; 504 when it did not answer in time.
 * - Logs one line per call with the outcome, the workflow id and the request id: never the group,
 *   the message, the device ids or the key. See docs/webhooks.md.
 *
 * @example
 * // curl -X POST https://<app>.herokuapp.com/hooks/broadcast -H "Authorization: Bearer $WEBHOOK_SECRET" \
 * //   -H 'Content-Type: application/json' -H "Idempotency-Key: $(uuidgen)" \
 * //   -d '{"group":"Security","message":"Door 4 is open"}'
 * // 202 {"workflow_id":"wf_broadcast_x1y2"}
 */
export default defineRoutes((app, { config, api, idempotency }) => {
  const workflowId = config.broadcastWorkflowId;
  const missing = missingSettings(config, api);
  const off = missing.length === 0 ? [] : [answerUnconfigured('POST /hooks/broadcast', missing)];
  // Without a secret the hook is off for everyone (naming every missing setting); with one, only
  // a caller who knows it learns which other settings are missing.
  const onRequest = config.webhookSecret === undefined ? off : [requireWebhookSecret(config.webhookSecret), ...off];

  app.post(
    '/hooks/broadcast',
    { onRequest, bodyLimit: 16 * 1024, schema: { body: bodySchema }, schemaErrorFormatter: formatError },
    async (request, reply) => {
      if (api === undefined || workflowId === undefined)
        throw new Error('unreachable: answerUnconfigured answers first');
      const done = await answerOnce(idempotency, 'broadcast', request, reply, () =>
        trigger(api, workflowId, request.body as BroadcastRequest),
      );
      const failure = done.outcome === 'handled' ? done.answer.failure : undefined;
      const line = { outcome: failure?.outcome ?? OUTCOMES[done.outcome], status: done.answer.status, workflowId };
      if (failure === undefined) request.log.info(line, 'broadcast hook answered');
      else request.log.warn({ ...line, ...failure.log }, 'broadcast hook answered');
      return reply;
    },
  );
});

/**
 * How long the hook waits for Relay, token grant and retries included: Heroku's router gives up on
 * a request after 30 s (H12), and the caller should hear 504 from the app before that.
 */
const ROUTER_LIMIT_MS = 25_000;

/** The log line's `outcome` for what answerOnce did, unless the trigger failed. */
const OUTCOMES: Record<AnsweredOnce['outcome'], string> = {
  handled: 'triggered',
  replayed: 'replayed',
  // A bad key, a key whose first call is still running, or the store unreachable.
  refused: 'not triggered',
};

/** The hook's answer, with what to log when the trigger failed. */
type BroadcastAnswer = WebhookAnswer & { failure?: Omit<RelayFailure, 'answer'> };

async function trigger(
  api: RelayApi,
  workflowId: string,
  { group, message, timeout_secs, device_ids }: BroadcastRequest,
): Promise<BroadcastAnswer> {
  // Relay's action_args are strings; the workflow reads the timeout back with Number().
  const args: Record<string, string> = { group, message };
  if (timeout_secs !== undefined) args.timeout_secs = String(timeout_secs);
  try {
    await api.triggerWorkflow(workflowId, device_ids, args, { deadlineMs: ROUTER_LIMIT_MS });
  } catch (error) {
    if (!(error instanceof RelayApiError)) throw error;
    const { answer, ...failure } = relayFailureAnswer(error);
    return { ...answer, failure };
  }
  return { status: 202, body: { workflow_id: workflowId } };
}

/** What the hook needs and the server lacks, each with what it is. */
function missingSettings(config: Config, api: RelayApi | undefined): string[] {
  const missing: string[] = [];
  if (config.webhookSecret === undefined)
    missing.push('WEBHOOK_SECRET (the bearer token callers send; openssl rand -hex 32 makes one)');
  if (api === undefined)
    missing.push(
      'RELAY_API_KEY and RELAY_SUBSCRIBER_ID (a refresh token from relay token:generate, and your subscriber id)',
    );
  if (config.broadcastWorkflowId === undefined)
    missing.push(
      'BROADCAST_WORKFLOW_ID (the wf_... id relay workflow:create:http printed; relay workflow:list shows it)',
    );
  return missing;
}

/**
 * Fastify's wording (`body/group must be string`), except that a field the hook does not take is
 * named, which ajv's own message for `propertyNames` does not do.
 */
function formatError(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const first = errors[0];
  const unknown = errors.map((error) => error.params.propertyName).find((name) => typeof name === 'string');
  if (typeof unknown === 'string') {
    return new Error(`${dataVar}/${unknown.slice(0, 40)} is not a field of this hook; it takes ${FIELDS.join(', ')}`);
  }
  return new Error(`${dataVar}${first?.instancePath ?? ''} ${first?.message ?? 'is not valid'}`);
}
