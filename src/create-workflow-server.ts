import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { readAppInfo } from './util';
import { DEFAULT_CONFIG, type Config } from './config';
import { relayApiFromConfig, type RelayApi } from './api/relay-api';
import { createIdempotencyStore } from './bus/idempotency';
import { createBus, type SessionBus } from './bus/session-bus';
import { attachUpgrades } from './http/attach-upgrades';
import type { createHttpApp as CreateHttpAppFunction, HttpApp } from './http/create-http-app';
import { createNodeServer } from './http/create-node-server';
import type { RouteContext, Routes } from './http/define-routes';
import type { WebhookAnswer } from './http/webhook';
import { logListening } from './http/log-listening';
import { busReport, type HttpStatus } from './http/status-report';
import { createLogger, type Logger } from './logger';
import { WebSocketHost } from './relay/websocket-host';
import {
  WorkflowRegistry,
  type Registration,
  type WorkflowHandler,
  type WorkflowModule,
} from './relay/workflow-registry';

export interface WorkflowServerOptions {
  /** Settings; anything missing takes its default (the factory itself never reads the environment). */
  config?: Partial<Config>;
  /** The process logger; one at `config.logLevel` on stdout when omitted. Fastify logs through it too. */
  logger?: Logger;
  /** Workflows to register at once, by name (URL path): functions, or whole workflow modules. */
  workflows?: Readonly<Record<string, WorkflowHandler | WorkflowModule>>;
  /** HTTP route modules to register at once (see `defineRoutes` and src/routes/index.ts). */
  routes?: readonly Routes[];
  /**
   * Mount on this existing server (an express app's, say) instead of making one: only upgrades to
   * workflow paths are taken, every plain request stays with the server's own handler, there is no
   * status page and no `routes`, and `listen` is the server's owner's job. See docs/http-routes.md.
   */
  server?: Server | HttpsServer;
  /** Largest request body a route accepts unless it sets its own `bodyLimit`; 64 KiB by default. */
  bodyLimitBytes?: number;
  /**
   * How long a client may take to send a request's headers (an upgrade included) before it gets
   * 408 and is dropped; 10 s by default. Tests shorten it.
   */
  headersTimeoutMs?: number;
  /**
   * The session bus workflows subscribe on and routes publish to. By default one from the config:
   * Redis when `redisUrl` (REDIS_URL) is set, else in-process. The server closes it in `close()`.
   */
  bus?: SessionBus;
  /**
   * The Relay HTTP API client routes and workflows use. By default one from the config
   * (RELAY_API_KEY and RELAY_SUBSCRIBER_ID), or none when they are unset. Tests pass one aimed at
   * the simulated Relay cloud.
   */
  api?: RelayApi;
}

export interface WorkflowServer {
  /**
   * Serves a workflow at `/<name>`, with how to register it (for the status page). Chainable.
   * Throws on a duplicate or empty name.
   */
  workflow(name: string, workflow: WorkflowHandler | WorkflowModule, registration?: Registration): WorkflowServer;
  /**
   * Adds an HTTP route module. Chainable. Throws once the server has started (`listen` or
   * `inject`), and when mounted on an existing server (add routes to that server's framework).
   */
  routes(routes: Routes): WorkflowServer;
  /**
   * Starts listening; resolves with the bound address (pass port 0 for a free port). A server
   * mounted on an existing one rejects: that server's owner calls its `listen`.
   */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /**
   * Stops taking sessions, lets open ones finish for up to `graceMs` (plain HTTP keeps answering,
   * /health with 503), closes the rest with 1001, and releases every socket and timer. A mounted
   * server leaves its host server running and only removes its listener. Safe to call more than once.
   */
  close(graceMs?: number): Promise<void>;
  /**
   * Answers a simulated HTTP request without a socket (Fastify's `inject`): for tests of routes.
   *
   * @example
   * const answer = await server.inject({ method: 'POST', url: '/api/echo', payload: { message: 'hi' } })
   * expect(answer.statusCode).toBe(200)
   */
  inject(request: InjectOptions | string): Promise<LightMyRequestResponse>;
  /**
   * Resolves once the HTTP side (Fastify, the status page and every route module) is built, or the
   * server closed before it was needed; rejects with the error of a route module that failed. The
   * server builds it at the first plain request, or a moment after `listen`; `npm start` exits 1
   * when it fails. Resolves at once when mounted.
   */
  ready(): Promise<void>;
  /** Number of open workflow sessions. */
  readonly sessions: number;
  /** Bytes the sessions hold for their peers now: messages still arriving and events queued (MAX_BUFFERED_BYTES caps it). */
  readonly heldBytes: number;
  /** The underlying HTTP server (the one given as `server` when mounted; `listen` and `close` manage the own one). */
  readonly httpServer: Server;
  /** The session bus: `server.bus.publish(topic, data)` reaches the sessions subscribed to `topic`. */
  readonly bus: SessionBus;
  /** The Relay HTTP API client; undefined without RELAY_API_KEY and RELAY_SUBSCRIBER_ID. */
  readonly api: RelayApi | undefined;
}

type CreateHttpApp = typeof CreateHttpAppFunction;

/** How long after `listen` the HTTP side is built if no plain request came first. */
const HTTP_BUILD_DELAY_MS = 1_000;

/**
 * Builds the HTTP + WebSocket server without listening, or, with `server`, mounts the workflows on
 * an existing HTTP server.
 *
 * @example
 * const server = createWorkflowServer({ routes }).workflow('hello', hello)
 * const { port } = await server.listen(0)
 * // ... ws://localhost:${port}/hello ...
 * await server.close()
 */
export function createWorkflowServer(options: WorkflowServerOptions = {}): WorkflowServer {
  return buildWorkflowServer(new WorkflowRegistry(), options);
}

/**
 * {@link createWorkflowServer} on a registry made by the caller: the 2.4.0 entry (relay-compat.ts)
 * uses it to serve a default workflow at `/`, which the public `workflow()` verb refuses.
 */
export function buildWorkflowServer(registry: WorkflowRegistry, options: WorkflowServerOptions): WorkflowServer {
  if (options.server !== undefined && (options.routes ?? []).length > 0) {
    throw new TypeError(
      'routes cannot be combined with server: add your routes to the framework that owns that server (express, ...)',
    );
  }
  const config: Config = { ...DEFAULT_CONFIG, ...options.config };
  const log = options.logger ?? createLogger({ level: config.logLevel, logPrivateData: config.logPrivateData });
  const bus = options.bus ?? createBus(config, log);
  const api = options.api ?? relayApiFromConfig(config, log);
  const host = new WebSocketHost({
    registry,
    logger: log,
    heartbeatMs: config.heartbeatMs,
    maxPayloadBytes: config.maxPayloadBytes,
    maxSessions: config.maxSessions,
    startTimeoutMs: config.startTimeoutMs,
    maxQueuedBytes: config.maxQueuedBytes,
    maxBufferedBytes: config.maxBufferedBytes,
    workflowToken: config.workflowToken,
    logPrivateData: config.logPrivateData,
    context: { bus, api, settings: { dispatchWebhookUrl: config.dispatchWebhookUrl } },
  });
  let closing: Promise<void> | undefined;
  const side = options.server === undefined ? ownHttpSide() : mountedSide(options.server);

  const server: WorkflowServer = {
    workflow(name, workflow, registration) {
      registry.add(name, workflow, registration);
      return server;
    },
    routes(routes) {
      side.addRoutes(routes);
      return server;
    },
    listen: (port = config.port, hostname = config.host) => side.listen(port, hostname),
    close(graceMs = config.shutdownGraceMs) {
      closing ??= side
        .close(graceMs)
        .then(() => bus.close())
        .then(() => log.info(options.server === undefined ? 'server closed' : 'workflows detached'));
      return closing;
    },
    inject: (request) => side.inject(request),
    ready: () => side.ready(),
    get sessions() {
      return host.size;
    },
    get heldBytes() {
      return host.bufferedBytes;
    },
    httpServer: side.httpServer,
    bus,
    api,
  };

  function warnIfOpen(): void {
    if (config.workflowToken === undefined) {
      log.warn('WORKFLOW_TOKEN is not set: anyone who knows a workflow URL can open a session (see docs/security.md)');
    }
  }

  /** Own Fastify app on its own node server, which takes the upgrades too. */
  function ownHttpSide() {
    const startedAt = Date.now();
    const app = readAppInfo();
    const status = (): Omit<HttpStatus, 'routes'> => ({
      app,
      release: { version: config.herokuReleaseVersion, commit: config.herokuSlugCommit },
      workflows: registry.entries(),
      sessions: host.size,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      draining: closing !== undefined,
      tokenRequired: config.workflowToken !== undefined,
      bus: busReport(bus.state),
    });
    const httpServer = createNodeServer(options.headersTimeoutMs ?? 10_000, log);
    httpServer.on('upgrade', (request, socket, head) => host.handleUpgrade(request, socket, head));
    const context: RouteContext = {
      workflowNames: () => registry.names(),
      log,
      config,
      api,
      bus,
      idempotency: createIdempotencyStore<WebhookAnswer>(bus),
    };
    const routeModules: Routes[] = [];
    let built: Promise<HttpApp> | undefined;
    let buildSoon: NodeJS.Timeout | undefined;
    let listening: Promise<AddressInfo> | undefined;
    let closed = false;
    const whenBuilt = Promise.withResolvers<void>();
    // Nobody may be waiting on it: a failed build is reported where it is awaited.
    whenBuilt.promise.catch(() => undefined);
    /** Loads Fastify and builds the app with every route module, once; later routes() calls throw. */
    const build = (): Promise<HttpApp> => {
      clearTimeout(buildSoon);
      if (closed && built === undefined)
        return Promise.reject(new Error('the server is closed: build a new one to inject requests'));
      built ??= (async () => {
        // Required here, not imported at the top: Fastify is about half of a cold start (npm run bench, boot).
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { createHttpApp } = require('./http/create-http-app') as { createHttpApp: CreateHttpApp };
        const http = createHttpApp({ log, status, httpServer, bodyLimitBytes: options.bodyLimitBytes ?? 64 * 1024 });
        for (const routes of routeModules) void http.app.register(async (scope) => routes(scope, context));
        await http.app.ready();
        return http;
      })();
      built.then(
        () => whenBuilt.resolve(),
        (error: unknown) => whenBuilt.reject(error),
      );
      return built;
    };
    httpServer.on('request', (request, response) => {
      build().then(
        (http) => http.handle(request, response),
        () => {
          response.writeHead(500, { 'Content-Type': 'application/json', Connection: 'close' });
          response.end(JSON.stringify({ error: 'the HTTP routes failed to load; see the server log' }));
        },
      );
    });
    return {
      httpServer,
      addRoutes(routes: Routes) {
        if (typeof routes !== 'function')
          throw new TypeError(`routes() needs a function (app, context) => { app.get(...) }, got ${typeof routes}`);
        if (built !== undefined || closed)
          throw new Error(
            'routes() was called after the server started: add every route module before listen() or inject()',
          );
        routeModules.push(routes);
      },
      listen(port: number, hostname: string): Promise<AddressInfo> {
        listening = (async () => {
          const address = await listenOn(httpServer, port, hostname);
          logListening(log, address, registry.names(), config);
          warnIfOpen();
          // Built at the first plain request, or a moment after listening, whichever comes first:
          // a route module that fails shows in the log (and stops the process, run-server.ts) at once.
          buildSoon = setTimeout(() => void build().catch(() => undefined), HTTP_BUILD_DELAY_MS).unref();
          return address;
        })();
        return listening;
      },
      // After listen, waits for the build that the first request or the timer starts (building now
      // would put Fastify back on the cold start); before listen, builds at once.
      ready: async () => {
        await (listening === undefined ? build() : whenBuilt.promise);
      },
      async inject(request: InjectOptions | string) {
        return (await build()).app.inject(request);
      },
      /** Keeps answering (HTTP and upgrades, with 503) while sessions drain, then stops. */
      async close(graceMs: number): Promise<void> {
        clearTimeout(buildSoon);
        httpServer.closeIdleConnections();
        // A close() right after listen() (relay() listens as it is called) waits for the bind, or
        // the server would start listening after it was closed. A failed listen is the caller's.
        await listening?.catch(() => undefined);
        await host.close(graceMs);
        const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        httpServer.closeAllConnections();
        await stopped;
        closed = true;
        // Closed before anything needed it: nothing failed, so ready() resolves.
        if (built === undefined) whenBuilt.resolve();
        const http = await built?.catch(() => undefined);
        await http?.app.close();
      },
    };
  }

  /** Someone else's server: upgrades to workflow paths only; no request listener, no listen. */
  function mountedSide(target: Server | HttpsServer) {
    const detach = attachUpgrades(target, host, registry);
    // The owner listens: the URLs are logged when it does (after this tick's workflow() calls).
    const onListening = () => {
      const address = target.address();
      if (address !== null && typeof address !== 'string') logListening(log, address, registry.names(), config);
      warnIfOpen();
    };
    if (target.listening) setImmediate(onListening);
    else target.once('listening', onListening);
    if (target.keepAliveTimeout > 0 && target.keepAliveTimeout <= 90_000) {
      log.warn(
        { keepAliveTimeout: target.keepAliveTimeout },
        "the mounted server's keepAliveTimeout is at most 90 s: behind Heroku's router set server.keepAliveTimeout = 95_000 to avoid H18/H13 errors",
      );
    }
    const mounted = (what: string) =>
      new Error(
        `${what} is not available on a workflow server mounted on your own HTTP server: ${what === 'listen()' ? 'call listen on that server' : 'add routes to its framework (express, ...)'}`,
      );
    return {
      httpServer: target as Server,
      addRoutes(): void {
        throw mounted('routes()');
      },
      listen(): Promise<AddressInfo> {
        return Promise.reject(mounted('listen()'));
      },
      ready: () => Promise.resolve(),
      inject(): Promise<LightMyRequestResponse> {
        return Promise.reject(mounted('inject()'));
      },
      async close(graceMs: number): Promise<void> {
        target.off('listening', onListening);
        await host.close(graceMs);
        detach();
      },
    };
  }

  for (const [name, handler] of Object.entries(options.workflows ?? {})) server.workflow(name, handler);
  for (const routes of options.routes ?? []) server.routes(routes);
  return server;
}

function listenOn(httpServer: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      httpServer.off('listening', onListening);
      if (err.code === 'EADDRINUSE') {
        reject(
          new Error(`port ${port} on ${host} is already in use: stop the other server or set PORT to a free port`, {
            cause: err,
          }),
        );
      } else if (err.code === 'EACCES') {
        reject(
          new Error(`no permission to listen on port ${port}: use a port above 1023 (Heroku sets PORT for you)`, {
            cause: err,
          }),
        );
      } else {
        reject(err);
      }
    };
    const onListening = () => {
      httpServer.off('error', onError);
      resolve(httpServer.address() as AddressInfo);
    };
    httpServer.once('error', onError);
    httpServer.once('listening', onListening);
    httpServer.listen(port, host);
  });
}
