/**
 * The plain-HTTP side on Fastify: the status page and /health, the error and not-found answers,
 * the route modules, and the rules every route inherits (body limit, strict JSON body validation,
 * request ids from Heroku's router, quiet request logs). It answers on a node server the caller
 * made and listens on (node-server.ts), which loads this file only when the first plain request
 * comes (or a moment after listening): a Relay session needs none of Fastify, and loading it is
 * most of a cold start (docs/performance.md).
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import type Ajv from 'ajv';
import type { AnySchema, Options } from 'ajv';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  type InjectOptions,
  type LightMyRequestResponse,
  type RouteOptions,
} from 'fastify';
import type { Logger } from '../logger';
import { requestIdOf } from '../relay/websocket-host';
import { pathOf } from '../relay/workflow-registry';
import type { RouteContext, Routes } from './define-routes';
import { parseJsonBodies } from './json-body';
import { renderStatusPage } from './status-page';
import { buildStatusReport, publicBaseUrl, type RouteEntry, type ServerSnapshot } from './status';

export interface HttpAppOptions {
  logger: Logger;
  /** What the status page and /health show; read on every request. */
  snapshot: () => ServerSnapshot;
  /** The node server the app answers on (see createNodeServer); its `clientError` and `upgrade` stay the caller's. */
  httpServer: Server;
  /** Largest request body any route accepts unless it sets its own `bodyLimit`. */
  bodyLimitBytes: number;
  /** The app's route modules, each registered as a plugin of its own, in this order. */
  routes: readonly Routes[];
  /** What every route module gets besides its Fastify instance. */
  context: RouteContext;
}

/** The built plain-HTTP side, as the node server uses it. */
export interface HttpApp {
  /** Answers one request that reached the node server. */
  handle(request: IncomingMessage, response: ServerResponse): void;
  /** Answers a simulated request without a socket (Fastify's `inject`). */
  inject(request: InjectOptions | string): Promise<LightMyRequestResponse>;
  /** Closes Fastify, running every route module's `onClose` hooks. */
  close(): Promise<void>;
}

/**
 * Builds the Fastify app with the status routes and every route module, and waits until it is
 * ready; rejects with the error of a route module that failed (a schema Fastify refuses, a clash).
 */
export async function buildHttpApp(options: HttpAppOptions): Promise<HttpApp> {
  const { logger, snapshot, httpServer, bodyLimitBytes } = options;
  let handle: HttpApp['handle'] | undefined;
  // The caller's server already answers clientError (it must before Fastify is loaded): the
  // listener Fastify adds in its constructor is taken off again.
  const ownClientErrorListeners = new Set(httpServer.listeners('clientError'));
  const routes = new RouteList();
  // Typed as Fastify's base logger, so the instance (and every route module's) has Fastify's default type.
  const loggerInstance: FastifyBaseLogger = logger;
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
  parseJsonBodies(app);
  app.addHook('onRequest', (_request, reply, done) => {
    if (snapshot().draining) reply.header('Connection', 'close');
    done();
  });
  app.setErrorHandler(answerError);
  app.setNotFoundHandler((request, reply) => {
    const allowed = routes.methodsAt(pathOf(request.url));
    if (allowed !== undefined) {
      const body = { error: `${request.method} is not served here; this path answers ${allowed.join(', ')}` };
      return sendText(reply.code(405).header('Allow', allowed.join(', ')), 'application/json', JSON.stringify(body));
    }
    const workflows = snapshot().workflows.map(({ name }) => `/${name}`);
    return sendText(reply.code(404), 'application/json', JSON.stringify({ error: 'not found', workflows }));
  });
  addStatusRoutes(app, snapshot, () => routes.entries());
  for (const listener of httpServer.listeners('clientError')) {
    if (!ownClientErrorListeners.has(listener)) httpServer.off('clientError', listener as (...args: unknown[]) => void);
  }
  if (handle === undefined) throw new Error('Fastify did not call serverFactory');
  for (const module of options.routes) void app.register(async (scope) => module(scope, options.context));
  await app.ready();
  return { handle, inject: (request) => app.inject(request), close: () => app.close() };
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

/** The page has no scripts and loads nothing: inline styles only. */
const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  Vary: 'Accept',
};

/**
 * The runtime's own routes: `GET /` is the status page (HTML, or JSON for `Accept:
 * application/json`), `GET /health` answers JSON for uptime checks (503 while draining; 200
 * with `bus.state` other than `ready` while Redis is unreachable, since sessions go on). Both
 * answer from memory only: `/` is what wakes a sleeping dyno, so it must be quick. Fastify answers
 * `HEAD` for both.
 */
function addStatusRoutes(
  app: FastifyInstance,
  snapshot: () => ServerSnapshot,
  routes: () => readonly RouteEntry[],
): void {
  app.get('/', (request, reply) => {
    const report = buildStatusReport(snapshot(), routes(), publicBaseUrl(request.raw));
    if (wantsJson(request)) return sendText(reply.header('Vary', 'Accept'), 'application/json', JSON.stringify(report));
    return sendText(reply.headers(PAGE_HEADERS), 'text/html; charset=utf-8', renderStatusPage(report));
  });
  app.get('/health', (_request, reply) => {
    const current = snapshot();
    // Still 200 while Redis is down: sessions go on, only webhooks that publish fail (503); `bus` says so.
    const body = {
      status: current.draining ? 'draining' : 'ok',
      uptime: current.uptimeSeconds,
      sessions: current.sessions,
      bus: current.bus,
    };
    return sendText(reply.code(current.draining ? 503 : 200), 'application/json', JSON.stringify(body));
  });
}

/**
 * A body as is, with exactly this type, never cached (the answers change with every session). A
 * Buffer, because Fastify appends `; charset=utf-8` to a JSON type sent as a string.
 */
function sendText(reply: FastifyReply, type: string, body: string): FastifyReply {
  return reply.headers({ 'Cache-Control': 'no-store', 'Content-Type': type }).send(Buffer.from(body));
}

/** JSON when the client asks for it before (or instead of) HTML; browsers send text/html first. */
function wantsJson(request: FastifyRequest): boolean {
  const accept = (request.headers.accept ?? '').toLowerCase();
  const json = accept.indexOf('application/json');
  const html = accept.indexOf('text/html');
  return json !== -1 && (html === -1 || json < html);
}

/**
 * Collects every route as Fastify adds it (pass {@link add} to an `onRoute` hook registered before
 * any route): the status page lists them, and the not-found handler answers 405 with `Allow` for a
 * known path asked with another method.
 */
class RouteList {
  private readonly byPath = new Map<string, Set<string>>();

  readonly add = (route: RouteOptions): void => {
    const methods = this.byPath.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method.toUpperCase());
    this.byPath.set(route.url, methods);
  };

  /** The methods served at exactly this path (parametric routes are not matched), or undefined. */
  methodsAt(path: string): string[] | undefined {
    const methods = this.byPath.get(path);
    return methods === undefined ? undefined : [...methods];
  }

  /** Every route, in the order added. */
  entries(): RouteEntry[] {
    return [...this.byPath].map(([path, methods]) => ({ path, methods: [...methods] }));
  }
}

/**
 * Fastify's per-request log lines, made quiet: nothing when a request arrives, and one `debug`
 * line when it is answered with the method, the path without its query string (which may hold a
 * token), the status and the time taken. Heroku's router already logs every request at info; no
 * header or body reaches a line.
 */
class QuietLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      path: pathOf(request.url).slice(0, 200),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    };
    // An error here is the socket's (the client went away), not the route's: the error handler logged those.
    if (error)
      reply.log.debug({ ...line, code: (error as NodeJS.ErrnoException).code }, 'request ended with a socket error');
    else reply.log.debug(line, 'request answered');
  }
}

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type SerializerFactory = NonNullable<CompilersFactory['buildSerializer']>;

/** Fastify's own ajv settings (allErrors off: with it on, a crafted body costs unbounded work). */
const AJV_OPTIONS: Options = { useDefaults: true, removeAdditional: true, allErrors: false };

/**
 * Route schema compilers for Fastify's `schemaController`, loaded when the first route with a
 * schema is set up instead of when Fastify is built: Fastify's defaults load ajv and
 * fast-json-stringify in its constructor, a cost every boot (and every dyno wake-up) would pay
 * for an app whose routes have no schema.
 *
 * Validation is ajv, as in Fastify, with one difference: a JSON body is checked as sent. Fastify's
 * default coerces types everywhere, so `{"message": 5}` passes `type: 'string'` as `"5"`; here it
 * is a 400 `body/message must be string`. Query strings, path parameters and headers are text on
 * the wire and keep Fastify's coercion (`?limit=5` passes `type: 'integer'`). ajv's formats
 * (`format: 'email'`) are not loaded: a schema using one fails at startup, naming it.
 *
 * Response schemas use Fastify's own serializer compiler (fast-json-stringify), unchanged.
 */
const lazySchemaCompilers = {
  buildValidator: (externalSchemas: unknown) => {
    let body: Ajv | undefined;
    let text: Ajv | undefined;
    return ({ schema, httpPart }: { schema: AnySchema; httpPart?: string }) => {
      if (httpPart === 'body') return (body ??= newAjv(externalSchemas, false)).compile(schema);
      return (text ??= newAjv(externalSchemas, 'array')).compile(schema);
    };
  },
  buildSerializer: (externalSchemas, options) => fastifySerializerFactory()(externalSchemas, options),
} satisfies CompilersFactory;

function newAjv(externalSchemas: unknown, coerceTypes: Options['coerceTypes']): Ajv {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  const { default: AjvClass } = require('ajv') as { default: typeof Ajv };
  const ajv = new AjvClass({ ...AJV_OPTIONS, coerceTypes });
  // Schemas shared with `app.addSchema(...)` and referenced by `$ref`.
  for (const shared of Object.values(externalSchemas ?? {})) ajv.addSchema(shared as object);
  return ajv;
}

let serializerFactory: SerializerFactory | undefined;

/** Fastify's default serializer factory, required from where Fastify itself finds it. */
function fastifySerializerFactory(): SerializerFactory {
  if (serializerFactory !== undefined) return serializerFactory;
  const path = require.resolve('@fastify/fast-json-stringify-compiler', {
    paths: [dirname(require.resolve('fastify'))],
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  const selector = require(path) as () => SerializerFactory;
  serializerFactory = selector();
  return serializerFactory;
}
