/**
 * What a webhook route is made of: the bearer check, the 503 of a hook that lacks settings, the
 * `Idempotency-Key` handling, and the one mapping from a failed Relay API call to the answer.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler, preHandlerAsyncHookHandler } from 'fastify';
import { adviceFor, quoted, RelayApiErrorCode, type RelayApiError } from '../api/errors';
import { IdempotencyKeyError, type IdempotencyStore } from '../bus/idempotency';
import { isBusUnavailable } from '../bus/session-bus';
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
 * An `onRequest` hook for webhooks: the caller must send `Authorization: Bearer <WEBHOOK_SECRET>`,
 * compared in constant time (as SHA-256 digests, so the lengths leak nothing either). Without a
 * secret configured every call gets 503 saying what to set, so no webhook is open by default.
 * Give it as `onRequest`, not `preHandler`: `onRequest` runs before the body is read and
 * validated, so a caller without the secret learns nothing from a validation error.
 *
 * @example
 * app.post('/hooks/thing', { onRequest: requireWebhookSecret(config.webhookSecret) }, handler)
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
 * An `onRequest` hook for a route that lacks settings it needs: every call is answered 503 with
 * the settings to set, before its body is read, so a half-configured integration is off rather
 * than failing halfway. `missing` holds one entry per setting, each saying what it is.
 *
 * @example
 * app.post('/hooks/thing', { onRequest: answerUnconfigured('POST /hooks/thing', ['THING_ID (relay workflow:list shows it)']) }, handler)
 */
export function answerUnconfigured(what: string, missing: readonly string[]): onRequestAsyncHookHandler {
  const error = `${what} is off until these are set (heroku config:set, or .env locally): ${missing.join('; ')}`;
  return async (_request: FastifyRequest, reply: FastifyReply) => reply.code(503).send({ error });
}

/** What {@link answerOnce} did, with the answer it sent. */
export type AnsweredOnce<A extends WebhookAnswer = WebhookAnswer> =
  /** It ran `handle` (no key, or a key seen for the first time or taken over) and sent its answer. */
  | { outcome: 'handled'; answer: A }
  /** It sent the answer kept under the key, with `Idempotent-Replayed: true`; `handle` did not run. */
  | { outcome: 'replayed'; answer: WebhookAnswer }
  /**
   * It answered without running `handle`: the key's first request is still running (409), the key
   * was used with another request (422), the key is unusable (400), or the store cannot be reached (503).
   */
  | { outcome: 'refused'; answer: WebhookAnswer };

/**
 * Runs `handle` once per `Idempotency-Key` (when the caller sends one), sends the answer, and
 * returns what it did. A retry within the store's time to live is answered with the first answer,
 * without acting again; a retry while the first is still running gets 409, until the first one's
 * lease (30 s, the router's window) runs out: then the retry runs `handle` itself, and the first
 * one's late answer is not kept. The key is bound to the request that first used it (method, URL
 * and body, as {@link requestFingerprint}): the same key with another request gets 422. A failure
 * that throws releases the key, and so does an answer that is not to be kept (`keep: false`, or a
 * 503), so a retry acts afresh. Keys are hashed by the store and never logged. `scope` keeps one
 * webhook's keys apart from another's. Only `status` and `body` are sent and stored.
 *
 * @example
 * const done = await answerOnce(idempotency, 'thing', request, reply, () => doTheThing(request.body))
 * request.log.info({ outcome: done.outcome, status: done.answer.status }, 'thing hook answered')
 * return reply
 */
export async function answerOnce<A extends WebhookAnswer>(
  store: IdempotencyStore<WebhookAnswer>,
  scope: string,
  request: FastifyRequest,
  reply: FastifyReply,
  handle: () => Promise<A>,
): Promise<AnsweredOnce<A>> {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return sent(reply, 'handled', await handle());
  const key = `${scope}:${String(header)}`;
  let claim;
  try {
    claim = await store.claim(key, requestFingerprint(request));
  } catch (error) {
    if (error instanceof IdempotencyKeyError)
      return sent(reply, 'refused', { status: 400, body: { error: `Idempotency-Key: ${error.message}` } });
    if (isBusUnavailable(error))
      return sent(reply, 'refused', {
        status: 503,
        body: { error: 'shared state (Redis) is unreachable; retry in a moment' },
      });
    throw error;
  }
  if (claim.state === 'done') return sent(reply.header('Idempotent-Replayed', 'true'), 'replayed', claim.answer);
  if (claim.state === 'pending') {
    return sent(reply, 'refused', {
      status: 409,
      body: { error: 'a request with this Idempotency-Key is still being handled; retry in a moment' },
    });
  }
  if (claim.state === 'mismatch') {
    return sent(reply, 'refused', {
      status: 422,
      body: {
        error:
          'this Idempotency-Key was already used with a different request (another body or path): send a new key for a new request',
      },
    });
  }
  const { owner } = claim;
  let answer: A;
  try {
    answer = await handle();
  } catch (error) {
    await store.release(key, owner).catch(() => undefined);
    throw error;
  }
  if (answer.keep === false || answer.status === 503) await store.release(key, owner).catch(() => undefined);
  else {
    const kept = await store
      .complete(key, owner, { status: answer.status, body: answer.body })
      .catch((error: unknown) => {
        // The key stays claimed: retries get 409 until the lease runs out, then act afresh.
        request.log.warn(
          { err: error },
          'could not keep the answer under its Idempotency-Key (Redis): a retry after the 30 s lease acts again',
        );
        return true; // said above; not the lease-taken-over case below
      });
    if (!kept)
      request.log.warn(
        'this request outlived its Idempotency-Key lease and a retry took the key over: its answer is not kept',
      );
  }
  return sent(reply, 'handled', answer);
}

/**
 * What a request asks for, as a hex sha256 of its method, URL (path and query) and body (as JSON
 * with every object's keys sorted, so a retry that orders its fields differently is the same
 * request). Computed without recursion: a body may nest as deep as its size allows.
 */
export function requestFingerprint(request: Pick<FastifyRequest, 'method' | 'url' | 'body'>): string {
  const hash = createHash('sha256').update(`${request.method} ${request.url}\n`);
  // Either a value still to write, or text to write as is.
  const stack: Array<{ value: unknown } | string> = [{ value: request.body }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (typeof item === 'string') {
      hash.update(item);
      continue;
    }
    const { value } = item;
    // Pushed in reverse: the stack pops the opening bracket first.
    if (Array.isArray(value)) {
      stack.push(']');
      for (let index = value.length - 1; index >= 0; index--) {
        stack.push({ value: value[index] as unknown });
        if (index > 0) stack.push(',');
      }
      stack.push('[');
    } else if (typeof value === 'object' && value !== null) {
      const names = Object.keys(value).sort();
      stack.push('}');
      for (let index = names.length - 1; index >= 0; index--) {
        const name = names[index] as string;
        stack.push({ value: Object.getOwnPropertyDescriptor(value, name)?.value as unknown });
        stack.push(`${index > 0 ? ',' : ''}${JSON.stringify(name)}:`);
      }
      stack.push('{');
    } else {
      hash.update(JSON.stringify(value) ?? 'null');
    }
  }
  return hash.digest('hex');
}

function sent<A extends WebhookAnswer, O extends AnsweredOnce['outcome']>(
  reply: FastifyReply,
  outcome: O,
  answer: A,
): { outcome: O; answer: A } {
  reply.code(answer.status).send(answer.body);
  return { outcome, answer };
}

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
 * Turns a failed API call into the webhook's answer, and decides whether its Idempotency-Key is
 * kept: 504 when Relay did not answer in time or the call's deadline passed, 502 (with
 * `relay_status`) when it refused or failed after the client's retries, 503 when the client lacks
 * credentials, 400 for an argument Relay cannot take. An answer is kept unless Relay cannot have
 * acted, so a retry with the same key never acts twice. The caller gets Relay's message (it sent
 * the request; the message may echo it); the log line does not.
 *
 * @example
 * try {
 *   await api.triggerWorkflow(id, targets, args, { deadlineMs: 25_000 })
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
        keep: true,
      },
      outcome: 'Relay timed out',
      log: { code, hint: 'check RELAY_API_URL, RELAY_ENV and the network' },
    };
  }
  if (code === RelayApiErrorCode.DEADLINE) {
    const within = `within ${(error.deadlineMs ?? 0) / 1000} s`;
    return {
      answer: {
        status: 504,
        body: {
          error:
            call === 'triggerWorkflow'
              ? `Relay did not accept the trigger ${within}; the workflow may still start, so retry with the same Idempotency-Key only after checking`
              : `Relay did not answer ${within}`,
        },
        keep: true,
      },
      outcome: 'Relay timed out',
      log: { code, hint: "Relay, its token service or their retries took longer than the call's deadline" },
    };
  }
  if (code === RelayApiErrorCode.CONFIG) {
    return {
      answer: { status: 503, body: { error: 'set RELAY_API_KEY and RELAY_SUBSCRIBER_ID' }, keep: false },
      outcome: 'not configured',
      log: { code, hint: error.message },
    };
  }
  if (code === RelayApiErrorCode.ARGUMENT) {
    // The route's schema should have refused it already; the message names the argument, not its value.
    return {
      answer: { status: 400, body: { error: error.message }, keep: true },
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
      keep: true,
    },
    outcome: 'Relay unreachable',
    log: { code, hint: unusable ? 'check RELAY_API_URL' : 'check RELAY_API_URL, RELAY_ENV and the network' },
  };
}
