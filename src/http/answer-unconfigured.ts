import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';

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
