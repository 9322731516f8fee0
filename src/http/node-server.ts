/**
 * The node HTTP server the workflows run on, in one of two roles. Standalone
 * ({@link StandaloneHttpServer}), the server makes its own, takes every upgrade on it and builds
 * the Fastify app (fastify-app.ts) only when it is first needed. Mounted ({@link MountedHttpServer},
 * `createWorkflowServer({ server })`), it takes only the upgrades to workflow paths on a server
 * someone else owns, listens to nothing else and never listens itself.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { ServerStop, WebSocketHost } from '../relay/websocket-host';
import type { WorkflowRegistry } from '../relay/workflow-registry';
import type { Routes } from './define-routes';
import type { HttpApp } from './fastify-app';
import { accessOf, workflowUrl } from './status';

/** What the workflow server asks of its HTTP server, in either role. */
export interface WorkflowHttpServer {
  /** The node server: the own one, or the one mounted on. */
  readonly httpServer: Server | HttpsServer;
  /** Adds a route module; throws once the app is built, or when mounted. */
  addRoutes(routes: Routes): void;
  listen(port: number, hostname: string): Promise<AddressInfo>;
  /** Resolves once the plain-HTTP side is built (or will never be); rejects with a route module's failure. */
  ready(): Promise<void>;
  inject(request: InjectOptions | string): Promise<LightMyRequestResponse>;
  /** Drains the WebSocket sessions for up to `graceMs` (a restart: none), then releases every socket it owns. */
  close(graceMs: number, stop?: ServerStop): Promise<void>;
}

/** What both roles need from the rest of the server. */
interface HttpServerOptions {
  logger: Logger;
  /** The WebSocket side: takes the upgrades, and drains its sessions on close. */
  host: Pick<WebSocketHost, 'handleUpgrade' | 'close'>;
  /** Which paths are workflows, and their names for the startup line. */
  registry: Pick<WorkflowRegistry, 'match' | 'names'>;
  /** What the startup line's URLs depend on. */
  config: Pick<Config, 'herokuAppDomain' | 'workflowToken'> & { workflowSecret?: string };
}

export interface StandaloneHttpServerOptions extends HttpServerOptions {
  /** How long a client may take to send a request's headers (an upgrade included) before it gets 408. */
  headersTimeoutMs: number;
  /**
   * Builds the plain-HTTP side on this node server with these route modules: called at most once,
   * at the first plain request, `inject` or `ready`, or {@link buildDelayMs} after `listen`.
   */
  buildApp: (httpServer: Server, routes: readonly Routes[]) => Promise<HttpApp>;
  /** How long after `listen` the app is built if no plain request came first; 1 s by default. */
  buildDelayMs?: number;
}

/**
 * Its own node server, which takes every upgrade and answers plain requests with a Fastify app
 * built lazily: a Relay session never waits for Fastify, and a route module that fails still
 * shows at once (a moment after `listen`), where `ready()` reports it.
 */
export class StandaloneHttpServer implements WorkflowHttpServer {
  readonly httpServer: Server;
  private readonly options: StandaloneHttpServerOptions;
  private readonly routeModules: Routes[] = [];
  /** The build, once started; it is never started twice. */
  private app: Promise<HttpApp> | undefined;
  /** Settles when the app is built, fails, or will never be built (closed first). */
  private readonly settled = Promise.withResolvers<void>();
  private buildTimer: NodeJS.Timeout | undefined;
  private listening: Promise<AddressInfo> | undefined;
  private closed = false;

  constructor(options: StandaloneHttpServerOptions) {
    this.options = options;
    // Nobody may be waiting on it: a failed build is reported where it is awaited.
    this.settled.promise.catch(() => undefined);
    this.httpServer = createNodeServer(options.headersTimeoutMs, options.logger);
    this.httpServer.on('upgrade', (request, socket, head) => options.host.handleUpgrade(request, socket, head));
    this.httpServer.on('request', (request, response) => {
      this.build().then(
        (app) => app.handle(request, response),
        () => {
          response.writeHead(500, { 'Content-Type': 'application/json', Connection: 'close' });
          response.end(JSON.stringify({ error: 'the HTTP routes failed to load; see the server log' }));
        },
      );
    });
  }

  addRoutes(routes: Routes): void {
    if (typeof routes !== 'function')
      throw new TypeError(`routes() needs a function (app, context) => { app.get(...) }, got ${typeof routes}`);
    if (this.app !== undefined || this.closed)
      throw new Error(
        'routes() was called after the server started: add every route module before listen() or inject()',
      );
    this.routeModules.push(routes);
  }

  listen(port: number, hostname: string): Promise<AddressInfo> {
    this.listening = (async () => {
      const address = await listenOn(this.httpServer, port, hostname);
      logListening(this.options.logger, address, this.options.registry.names(), this.options.config);
      // Built at the first plain request, or a moment after listening, whichever comes first:
      // a route module that fails shows in the log (and stops the process, run-server.ts) at once.
      this.buildTimer = setTimeout(
        () => void this.build().catch(() => undefined),
        this.options.buildDelayMs ?? 1_000,
      ).unref();
      return address;
    })();
    return this.listening;
  }

  /**
   * After `listen`, waits for the build that the first request or the timer starts (building now
   * would put Fastify back on the cold start); before `listen`, builds at once.
   */
  async ready(): Promise<void> {
    await (this.listening === undefined ? this.build() : this.settled.promise);
  }

  async inject(request: InjectOptions | string): Promise<LightMyRequestResponse> {
    return (await this.build()).inject(request);
  }

  /** Keeps answering (HTTP and upgrades, with 503) while sessions drain, then stops. */
  async close(graceMs: number, stop: ServerStop = 'shutdown'): Promise<void> {
    clearTimeout(this.buildTimer);
    this.httpServer.closeIdleConnections();
    // A close() right after listen() (relay() listens as it is called) waits for the bind, or
    // the server would start listening after it was closed. A failed listen is the caller's.
    await this.listening?.catch(() => undefined);
    await this.options.host.close(graceMs, stop);
    const stopped = new Promise<void>((resolve) => this.httpServer.close(() => resolve()));
    this.httpServer.closeAllConnections();
    await stopped;
    this.closed = true;
    // Closed before anything needed it: nothing failed, so ready() resolves.
    if (this.app === undefined) this.settled.resolve();
    const app = await this.app?.catch(() => undefined);
    await app?.close();
  }

  /** The app with every route module, built once; later addRoutes() calls throw. */
  private build(): Promise<HttpApp> {
    clearTimeout(this.buildTimer);
    if (this.closed && this.app === undefined)
      return Promise.reject(new Error('the server is closed: build a new one to inject requests'));
    if (this.app === undefined) {
      // A build that throws at once (a module that fails to load) fails like one that rejects.
      this.app = (async () => this.options.buildApp(this.httpServer, this.routeModules))();
      this.app.then(
        () => this.settled.resolve(),
        (error: unknown) => this.settled.reject(error),
      );
    }
    return this.app;
  }
}

/**
 * Someone else's server (an express app's): an `upgrade` listener that takes only upgrades to a
 * registered workflow's path and hands them to the WebSocket host (token, limits and draining
 * apply as usual). Any other upgrade is left untouched for the server's other listeners
 * (socket.io, another `ws` server), unless this is the only listener: then it is refused with 404
 * rather than left hanging. No request listener, no `listen`: those stay the owner's.
 */
export class MountedHttpServer implements WorkflowHttpServer {
  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const ours = this.options.registry.match(request.url ?? '/') !== undefined;
    if (ours || this.httpServer.listenerCount('upgrade') === 1) this.options.host.handleUpgrade(request, socket, head);
  };
  /** The owner listens: the URLs are logged when it does (after this tick's workflow() calls). */
  private readonly onListening = (): void => {
    const address = this.httpServer.address();
    const { logger, registry, config } = this.options;
    if (address !== null && typeof address !== 'string') logListening(logger, address, registry.names(), config);
    else warnIfOpen(logger, config);
  };

  constructor(
    readonly httpServer: Server | HttpsServer,
    private readonly options: HttpServerOptions,
  ) {
    httpServer.on('upgrade', this.onUpgrade);
    if (httpServer.listening) setImmediate(this.onListening);
    else httpServer.once('listening', this.onListening);
    if (httpServer.keepAliveTimeout > 0 && httpServer.keepAliveTimeout <= 90_000) {
      options.logger.warn(
        { keepAliveTimeout: httpServer.keepAliveTimeout },
        "the mounted server's keepAliveTimeout is at most 90 s: behind Heroku's router set server.keepAliveTimeout = 95_000 to avoid H18/H13 errors",
      );
    }
  }

  addRoutes(): void {
    throw notWhenMounted('routes()');
  }

  listen(): Promise<AddressInfo> {
    return Promise.reject(notWhenMounted('listen()'));
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  inject(): Promise<LightMyRequestResponse> {
    return Promise.reject(notWhenMounted('inject()'));
  }

  /** Drains this server's sessions, then takes its listeners off; the owner's server keeps running. */
  async close(graceMs: number, stop: ServerStop = 'shutdown'): Promise<void> {
    this.httpServer.off('listening', this.onListening);
    await this.options.host.close(graceMs, stop);
    this.httpServer.off('upgrade', this.onUpgrade);
  }
}

function notWhenMounted(what: string): Error {
  const instead = what === 'listen()' ? 'call listen on that server' : 'add routes to its framework (express, ...)';
  return new Error(`${what} is not available on a workflow server mounted on your own HTTP server: ${instead}`);
}

/**
 * The timeouts of a standalone server's node server, from how long a client may take to send a
 * request's headers.
 */
export function nodeServerTimeouts(headersTimeoutMs: number) {
  return {
    // Heroku's router keeps idle connections to the dyno for 90 s; closing ours first causes H18/H13.
    keepAliveTimeout: 95_000,
    // A request (an upgrade included) whose headers do not arrive in time is dropped with 408:
    // a handshake that never completes costs a socket for that long at most.
    headersTimeout: headersTimeoutMs,
    requestTimeout: headersTimeoutMs + 5_000,
    // How often node looks for connections over those timeouts (its default is 30 s).
    connectionsCheckingInterval: Math.min(1_000, headersTimeoutMs / 2),
  };
}

/**
 * The node server a standalone workflow server listens on, with {@link nodeServerTimeouts} and
 * the `clientError` answers: 431 for oversized headers, 408 for headers that did not arrive in
 * time, 400 for anything unparseable, then the connection is closed. Such an error carries the raw
 * request (and maybe a token), so only its code is logged. Request and upgrade listeners are the
 * caller's to add.
 */
function createNodeServer(headersTimeoutMs: number, logger: Logger): Server {
  const server = createServer(nodeServerTimeouts(headersTimeoutMs));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    logger.debug({ code: err.code }, 'bad HTTP request');
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    if (socket.writable) socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  });
  return server;
}

/** Listens; a port in use or not allowed rejects with what to do about it. */
function listenOn(httpServer: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      httpServer.off('listening', onListening);
      if (err.code === 'EADDRINUSE') {
        const message = `port ${port} on ${host} is already in use: stop the other server or set PORT to a free port`;
        reject(new Error(message, { cause: err }));
      } else if (err.code === 'EACCES') {
        const message = `no permission to listen on port ${port}: use a port above 1023 (Heroku sets PORT for you)`;
        reject(new Error(message, { cause: err }));
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

/**
 * The startup line that tells a person reading `heroku logs` what to register. With dyno metadata
 * (`HEROKU_APP_DEFAULT_DOMAIN_NAME`) the URLs are the public `wss://` ones; without it they are
 * the local ones, with the command that turns metadata on. A required token shows as a
 * placeholder; without one, a warning follows: the workflows are open.
 */
function logListening(
  logger: Logger,
  address: AddressInfo,
  names: readonly string[],
  config: Pick<Config, 'herokuAppDomain' | 'workflowToken'> & { workflowSecret?: string },
): void {
  const tokenRequired = config.workflowToken !== undefined;
  const access = accessOf(tokenRequired, config.workflowSecret !== undefined);
  const local = ['0.0.0.0', '::'].includes(address.address) ? 'localhost' : address.address;
  const base =
    config.herokuAppDomain === undefined ? `ws://${local}:${address.port}` : `wss://${config.herokuAppDomain}`;
  // Keyed by path (`/hello`, `/` for the default workflow), not name: a key is censored when it is
  // one of the logger's private field names, and a workflow may be named `text` or `audio`.
  const workflows = Object.fromEntries(names.map((name) => [`/${name}`, workflowUrl(base, name, tokenRequired)]));
  const line = { address: address.address, port: address.port, workflows, access };
  if (config.herokuAppDomain !== undefined) {
    logger.info({ ...line, public: true }, 'server listening');
  } else {
    const hint =
      'these are local URLs; on Heroku, run "heroku labs:enable runtime-dyno-metadata" and deploy again to log the public wss:// ones, or open the app URL in a browser';
    logger.info({ ...line, public: false, hint }, 'server listening');
  }
  warnIfOpen(logger, config);
}

function warnIfOpen(logger: Logger, config: Pick<Config, 'workflowToken'> & { workflowSecret?: string }): void {
  if (config.workflowToken === undefined && config.workflowSecret === undefined)
    logger.warn('WORKFLOW_TOKEN is not set: anyone who knows a workflow URL can open a session (see docs/security.md)');
}
