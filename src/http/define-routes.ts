import type { FastifyInstance } from 'fastify';
import type { RelayApi } from '../api/relay-api';
import type { IdempotencyStore } from '../bus/idempotency';
import type { SessionBus } from '../bus/session-bus';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { WebhookAnswer } from './webhook';

/**
 * What the runtime hands a route module besides the Fastify instance. Routes never read the
 * environment or touch sockets: what they need comes from here.
 */
export interface RouteContext {
  /** The names (URL paths) of the workflows this server serves, as registered now. */
  readonly workflowNames: () => string[];
  /** The process logger (each request also has `request.log`, bound to its request id). */
  readonly log: Logger;
  /** The server's settings (read once by loadConfig; routes never read the environment). */
  readonly config: Config;
  /** The server's Relay HTTP API client; undefined without RELAY_API_KEY and RELAY_SUBSCRIBER_ID. */
  readonly api: RelayApi | undefined;
  /** The session bus: `bus.publish(topic, data)` reaches the sessions subscribed to `topic`, on any dyno. */
  readonly bus: SessionBus;
  /** Webhook answers by `Idempotency-Key`, shared by every dyno when Redis is configured; see `answerOnce`. */
  readonly idempotency: IdempotencyStore<WebhookAnswer>;
}

/**
 * One route module: a function that adds routes to the Fastify instance it is given, like a
 * Fastify plugin. Each module gets its own encapsulated instance, so hooks, content-type parsers
 * and decorators it adds stay inside it. It may be async (an `await` before the routes is fine).
 */
export type Routes = (app: FastifyInstance, context: RouteContext) => void | Promise<void>;

/**
 * Identity helper, like `createWorkflow`: gives a route module its types.
 *
 * @example
 * // src/routes/greeting.ts (docs/http-routes.md has it whole, as a file that passes npm run lint)
 * export default defineRoutes((app) => {
 *   app.post('/api/greeting', {
 *     schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 100 } } } },
 *   }, (request) => {
 *     const { name } = request.body as { name: string };
 *     return { greeting: `Hello ${name}` };
 *   });
 * });
 */
export function defineRoutes(routes: Routes): Routes {
  return routes;
}
