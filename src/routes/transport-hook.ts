import { BusError, BusErrorCode, isBusUnavailable } from '../bus/session-bus';
import { defineRoutes } from '../http/define-routes';
import { answerOnce, requireWebhookSecret, type WebhookAnswer } from '../http/webhook';
import { isTransportUpdate, TRANSPORT_UPDATE_SCHEMA } from '../workflows/transport-update';

/** The hook's answer, with the delivery count for its log line (never sent nor kept). */
type TransportAnswer = WebhookAnswer & { delivered?: number };

/** Request ids as the transport workflow makes them (6 hex characters), with room for other schemes. */
const REQUEST_ID = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } as const;

/**
 * `POST /hooks/transport/:requestId`: the dispatch system's updates for a transport request,
 * spoken by the `transport` conversation waiting for that request id on whichever dyno holds it
 * (see src/workflows/transport.ts). The caller sends `Authorization: Bearer <WEBHOOK_SECRET>` and
 * a JSON body `{status: "assigned" | "arriving" | "cancelled", eta_minutes?, by?}`, and may send an
 * `Idempotency-Key` so that a retry is not spoken twice.
 *
 * Answers 202 when a conversation is waiting for that request id (on any dyno) and the update was
 * sent to it, 404 when none is (the bus's registry of subscribed topics says so: a dyno that
 * reports its delivery late does not turn a spoken update into a 404), 400 for a bad body or id,
 * 401 without the secret, 422 for an Idempotency-Key used before with another update, 503 while
 * the bus (Redis) is unreachable or the server is shutting down (retry later). Logs the request
 * id, the outcome and how many sessions reported taking the update in time (`delivered`), only.
 *
 * @example
 * // curl -X POST https://<app>.herokuapp.com/hooks/transport/3f9a1c \
 * //   -H "Authorization: Bearer $WEBHOOK_SECRET" -H 'Content-Type: application/json' \
 * //   -d '{"status": "assigned", "eta_minutes": 5, "by": "Bob"}'
 * // {"waiting":true}
 */
export default defineRoutes((app, { config, bus, idempotency }) => {
  app.post(
    '/hooks/transport/:requestId',
    {
      // Checked before the body is read: a caller without the secret learns nothing from validation.
      onRequest: requireWebhookSecret(config.webhookSecret),
      bodyLimit: 1024,
      schema: {
        params: { type: 'object', required: ['requestId'], properties: { requestId: REQUEST_ID } },
        body: TRANSPORT_UPDATE_SCHEMA,
      },
    },
    async (request, reply) => {
      const { requestId } = request.params as { requestId: string };
      const update: unknown = request.body;
      const answer = async (): Promise<TransportAnswer> => {
        // The schema's pattern counts code points, the workflow's check UTF-16 units: the stricter wins.
        if (!isTransportUpdate(update))
          return { status: 400, body: { error: 'body/by must be 1 to 100 characters, not all spaces' } };
        return deliver(requestId, update);
      };
      const done = await answerOnce(idempotency, 'transport', request, reply, answer);
      const delivered = done.outcome === 'handled' ? done.answer.delivered : undefined;
      request.log.info(
        { transportRequest: requestId, outcome: done.answer.status, delivered },
        'transport hook answered',
      );
      return reply;
    },
  );

  async function deliver(requestId: string, update: unknown): Promise<TransportAnswer> {
    const topic = `transport:${requestId}`;
    let delivered: number;
    let waiting: boolean;
    try {
      delivered = await bus.publish(topic, update);
      // The count covers the dynos that answered in time; the registry covers every dyno.
      waiting = delivered > 0 || (await bus.hasSubscribers(topic));
    } catch (error) {
      if (isBusUnavailable(error))
        return { status: 503, body: { error: 'the session bus (Redis) is unreachable; retry in a moment' } };
      if (error instanceof BusError && error.code === BusErrorCode.CLOSED)
        return { status: 503, body: { error: 'this server is shutting down; retry in a moment' } };
      throw error;
    }
    if (!waiting)
      return {
        status: 404,
        body: { error: `no conversation is waiting for transport request ${requestId}` },
        delivered,
      };
    return { status: 202, body: { waiting: true }, delivered };
  }
});
