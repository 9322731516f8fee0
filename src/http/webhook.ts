import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { isBusUnavailable } from '../bus/bus-error';
import { IdempotencyKeyError, type IdempotencyStore } from '../bus/idempotency-store';
import { secretsMatch } from '../util';

/** What a webhook answers: kept whole under its Idempotency-Key, so a retry gets the same. */
export interface WebhookAnswer {
  status: number;
  body: Record<string, unknown>;
  /**
   * Whether a retry with the same Idempotency-Key gets this answer again (the default) rather than
   * acting afresh. False only where nothing was done; a 503 is never kept.
   */
  keep?: boolean;
}

/**
 * A preHandler for webhooks: the caller must send `Authorization: Bearer <WEBHOOK_SECRET>`,
 * compared in constant time (as SHA-256 digests, so the lengths leak nothing either). Without a
 * secret configured every call gets 503 saying what to set, so no webhook is open by default.
 *
 * @example
 * app.post('/hooks/thing', { preHandler: requireWebhookSecret(config.webhookSecret) }, handler)
 */
export function requireWebhookSecret(secret: string | undefined): preHandlerAsyncHookHandler {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (secret === undefined) {
      return reply.code(503).send({
        error: 'webhooks are off: set WEBHOOK_SECRET (heroku config:set WEBHOOK_SECRET=$(openssl rand -hex 32))',
      });
    }
    const header = request.headers.authorization;
    const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!secretsMatch(given, secret)) {
      reply.header('WWW-Authenticate', 'Bearer');
      return reply.code(401).send({ error: 'send Authorization: Bearer <WEBHOOK_SECRET>' });
    }
    return undefined;
  };
}

/**
 * Runs `handle` once per `Idempotency-Key` (when the caller sends one): a retry within the store's
 * time to live is answered with the first answer, without acting again; a retry while the first is
 * still running gets 409. A failure that throws, or a 503, releases the key, so a retry acts afresh. Keys are
 * hashed by the store and never logged. `scope` keeps one webhook's keys apart from another's.
 */
export async function answerOnce(
  store: IdempotencyStore<WebhookAnswer>,
  scope: string,
  request: FastifyRequest,
  reply: FastifyReply,
  handle: () => Promise<WebhookAnswer>,
): Promise<FastifyReply> {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return send(reply, await handle());
  const key = `${scope}:${String(header)}`;
  let claim;
  try {
    claim = await store.claim(key);
  } catch (error) {
    if (error instanceof IdempotencyKeyError)
      return reply.code(400).send({ error: `Idempotency-Key: ${error.message}` });
    if (isBusUnavailable(error))
      return reply.code(503).send({ error: 'shared state (Redis) is unreachable; retry in a moment' });
    throw error;
  }
  if (claim.state === 'done') return send(reply.header('Idempotent-Replayed', 'true'), claim.answer);
  if (claim.state === 'pending')
    return reply
      .code(409)
      .send({ error: 'a request with this Idempotency-Key is still being handled; retry in a moment' });
  let answer: WebhookAnswer;
  try {
    answer = await handle();
  } catch (error) {
    await store.release(key).catch(() => undefined);
    throw error;
  }
  // A 503 (a setting or Redis missing) or an answer marked not to keep lets a retry act afresh. A
  // timeout may follow a request Relay acted on, so it is kept: a retry with the same key must not act twice.
  if (answer.status === 503 || answer.keep === false) await store.release(key).catch(() => undefined);
  else
    await store
      .complete(key, answer)
      .catch((error: unknown) => request.log.warn({ err: error }, 'could not store an idempotent answer'));
  return send(reply, answer);
}

function send(reply: FastifyReply, { status, body }: WebhookAnswer): FastifyReply {
  // `keep` is for the store, never sent.
  return reply.code(status).send(body);
}
