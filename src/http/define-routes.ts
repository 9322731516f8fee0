import type { FastifyInstance } from 'fastify';
import type { Logger } from '../logger';

/**
 * What the runtime hands a route module besides the Fastify instance. Routes never read the
 * environment or touch sockets: what they need comes from here.
 */
export interface RouteContext {
  /** The names (URL paths) of the workflows this server serves, as registered now. */
  readonly workflowNames: () => string[];
  /** The process logger (each request also has `request.log`, bound to its request id). */
  readonly log: Logger;
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
 * // src/routes/greeting.ts
 * export default defineRoutes((app) => {
 *   app.post('/api/greeting', {
 *     schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 100 } } } },
 *   }, async (request) => {
 *     const { name } = request.body as { name: string }
 *     return { greeting: `Hello ${name}` }
 *   })
 * })
 */
export function defineRoutes(routes: Routes): Routes {
  return routes;
}
