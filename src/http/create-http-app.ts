import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Logger } from '../logger';
import { requestIdOf } from '../relay/websocket-host';
import { pathOf } from '../relay/workflow-registry';
import { lazySchemaCompilers } from './lazy-schema-compilers';
import { QuietLogController } from './quiet-log-controller';
import { RouteList } from './route-list';
import { addStatusRoutes, sendText } from './status-routes';
import type { HttpStatus } from './status-report';

export interface HttpAppOptions {
  log: Logger;
  /** What the status page and /health show; read on every request. */
  status: () => Omit<HttpStatus, 'routes'>;
  /** The node server the app answers on, made by {@link createNodeServer}; its `clientError` and `upgrade` stay the caller's. */
  httpServer: Server;
  /** Largest request body any route accepts unless it sets its own `bodyLimit`. */
  bodyLimitBytes: number;
}

export interface HttpApp {
  app: FastifyInstance;
  /** Answers one request (Fastify's handler): the caller's server calls it once the app is ready. */
  handle: (request: IncomingMessage, response: ServerResponse) => void;
  routes: RouteList;
}

/**
 * The plain-HTTP side on Fastify: the status page and /health, the error and not-found answers,
 * and the rules every route inherits (body limit, strict JSON body validation, request ids from
 * Heroku's router, quiet request logs). It answers on a node server the caller made and listens
 * on: the runtime builds it on the first plain request (or a moment after listening), because
 * loading Fastify is about half of a cold start, and a Relay session needs none of it.
 */
export function createHttpApp({ log, status, httpServer, bodyLimitBytes }: HttpAppOptions): HttpApp {
  let handle: HttpApp['handle'] | undefined;
  // The caller's server already answers clientError (it must before Fastify is loaded): the
  // listener Fastify adds in its constructor is taken off again.
  const ownClientErrorListeners = new Set(httpServer.listeners('clientError'));
  const routes = new RouteList();
  // Typed as Fastify's base logger, so the instance (and every route module's) has Fastify's default type.
  const loggerInstance: FastifyBaseLogger = log;
  const app = Fastify({
    loggerInstance,
    logController: new QuietLogController({ requestIdLogLabel: 'requestId' }),
    // Heroku's router sends X-Request-Id: used when well-formed, so a request's lines match the router's.
    requestIdHeader: false,
    genReqId: (request) => requestIdOf(request) ?? randomUUID(),
    bodyLimit: bodyLimitBytes,
    schemaController: { compilersFactory: lazySchemaCompilers },
    forceCloseConnections: false,
    // A URL Fastify cannot decode (`/%zz`) gets the same answer shape as every other error.
    frameworkErrors: (err, request, reply) => void answerError(err, request, reply),
    serverFactory: (handler) => {
      handle = handler;
      return httpServer;
    },
  });
  app.addHook('onRoute', routes.add);
  // JSON only by default, so a wrong Content-Type is a 415; a route module may add its own parsers.
  app.removeContentTypeParser('text/plain');
  const current = (): HttpStatus => ({ ...status(), routes: routes.entries() });
  app.addHook('onRequest', (_request, reply, done) => {
    if (status().draining) reply.header('Connection', 'close');
    done();
  });
  app.setErrorHandler(answerError);
  app.setNotFoundHandler((request, reply) => {
    const allowed = routes.methodsAt(pathOf(request.url));
    if (allowed !== undefined) {
      const body = { error: `${request.method} is not served here; this path answers ${allowed.join(', ')}` };
      return sendText(reply.code(405).header('Allow', allowed.join(', ')), 'application/json', JSON.stringify(body));
    }
    const workflows = status().workflows.map(({ name }) => `/${name}`);
    return sendText(reply.code(404), 'application/json', JSON.stringify({ error: 'not found', workflows }));
  });
  addStatusRoutes(app, current);
  for (const listener of httpServer.listeners('clientError')) {
    if (!ownClientErrorListeners.has(listener)) httpServer.off('clientError', listener as (...args: unknown[]) => void);
  }
  if (handle === undefined) throw new Error('Fastify did not call serverFactory');
  return { app, handle, routes };
}

/**
 * The one place a route's error becomes an answer. A 4xx (a bad body, an error a route threw with
 * a `statusCode`) answers its message; anything else answers a generic text and the request id,
 * never the error, which is logged once here with the request id, method and path.
 */
function answerError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const code =
    typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
  if (code < 500) return reply.code(code).send({ error: err.message.slice(0, 300), requestId: request.id });
  request.log.error(
    { err, method: request.method, path: pathOf(request.url).slice(0, 200) },
    `route failed; answered ${code}`,
  );
  return reply.code(code).send({ error: STATUS_CODES[code] ?? 'Server Error', requestId: request.id });
}
