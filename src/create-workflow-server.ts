import { createServer, STATUS_CODES, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readAppInfo } from './app-info';
import { DEFAULT_CONFIG, type Config } from './config';
import { createBus } from './bus/create-bus';
import type { SessionBus } from './bus/session-bus';
import { createHttpHandler } from './http/create-http-handler';
import { logListening } from './http/log-listening';
import { createLogger, type Logger } from './logger';
import { WebSocketHost } from './relay/websocket-host';
import type { Registration } from './relay/registration';
import { WorkflowRegistry, type WorkflowHandler, type WorkflowModule } from './relay/workflow-registry';

export interface WorkflowServerOptions {
  /** Settings; anything missing takes its default (the factory itself never reads the environment). */
  config?: Partial<Config>;
  /** The process logger; one at `config.logLevel` on stdout when omitted. */
  logger?: Logger;
  /** Workflows to register at once, by name (URL path): functions, or whole workflow modules. */
  workflows?: Readonly<Record<string, WorkflowHandler | WorkflowModule>>;
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
}

export interface WorkflowServer {
  /**
   * Serves a workflow at `/<name>`, with how to register it (for the status page). Chainable.
   * Throws on a duplicate or empty name.
   */
  workflow(name: string, workflow: WorkflowHandler | WorkflowModule, registration?: Registration): WorkflowServer;
  /** Starts listening; resolves with the bound address (pass port 0 for a free port). */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /**
   * Stops taking connections, lets open sessions finish for up to `graceMs`, closes the rest with
   * 1001, and releases every socket and timer. Safe to call more than once.
   */
  close(graceMs?: number): Promise<void>;
  /** Number of open workflow sessions. */
  readonly sessions: number;
  /** Bytes the sessions hold for their peers now: messages still arriving and events queued (MAX_BUFFERED_BYTES caps it). */
  readonly heldBytes: number;
  /** The underlying HTTP server (for embedding; `listen` and `close` manage it). */
  readonly httpServer: Server;
  /** The session bus: `server.bus.publish(topic, data)` reaches the sessions subscribed to `topic`. */
  readonly bus: SessionBus;
}

/**
 * Builds the HTTP + WebSocket server without listening.
 *
 * @example
 * const server = createWorkflowServer().workflow('hello', hello)
 * const { port } = await server.listen(0)
 * // ... ws://localhost:${port}/hello ...
 * await server.close()
 */
export function createWorkflowServer(options: WorkflowServerOptions = {}): WorkflowServer {
  const config: Config = { ...DEFAULT_CONFIG, ...options.config };
  const log = options.logger ?? createLogger({ level: config.logLevel, logPrivateData: config.logPrivateData });
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const app = readAppInfo();
  const registry = new WorkflowRegistry();
  const bus = options.bus ?? createBus(config, log);
  const host = new WebSocketHost({
    registry,
    log,
    heartbeatMs: config.heartbeatMs,
    maxPayloadBytes: config.maxPayloadBytes,
    maxSessions: config.maxSessions,
    startTimeoutMs: config.startTimeoutMs,
    maxQueuedBytes: config.maxQueuedBytes,
    maxBufferedBytes: config.maxBufferedBytes,
    token: config.workflowToken,
    logPayloads: config.logPrivateData,
    context: { bus, settings: { dispatchWebhookUrl: config.dispatchWebhookUrl } },
  });
  const startedAt = Date.now();
  let closing: Promise<void> | undefined;

  const httpServer = createServer(
    {
      // Heroku's router keeps idle connections to the dyno for 90 s; closing ours first causes H18/H13.
      keepAliveTimeout: 95_000,
      // A request (an upgrade included) whose headers do not arrive in time is dropped with 408:
      // a handshake that never completes costs a socket for that long at most.
      headersTimeout: headersTimeout,
      requestTimeout: headersTimeout + 5_000,
      connectionsCheckingInterval: Math.min(1_000, headersTimeout / 2),
    },
    createHttpHandler(() => ({
      app,
      release: { version: config.herokuReleaseVersion, commit: config.herokuSlugCommit },
      workflows: registry.entries(),
      sessions: host.size,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      draining: closing !== undefined,
      tokenRequired: config.workflowToken !== undefined,
    })),
  );
  httpServer.on('upgrade', (request, socket, head) => host.handleUpgrade(request, socket, head));
  httpServer.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // The error carries the raw request (and maybe a token): log only its code.
    log.debug({ code: err.code }, 'bad HTTP request');
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    if (socket.writable) socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  });

  const server: WorkflowServer = {
    workflow(name, workflow, registration) {
      registry.add(name, workflow, registration);
      return server;
    },
    async listen(port = config.port, hostname = config.host) {
      const address = await listenOn(httpServer, port, hostname);
      logListening(log, address, registry.names(), config);
      if (config.workflowToken === undefined) {
        log.warn('WORKFLOW_TOKEN is not set: anyone who knows a workflow URL can open a session (see docs/security.md)');
      }
      return address;
    },
    close(graceMs = config.shutdownGraceMs) {
      closing ??= shutDown(graceMs);
      return closing;
    },
    get sessions() {
      return host.size;
    },
    get heldBytes() {
      return host.heldBytes;
    },
    httpServer,
    bus,
  };

  /** Keeps listening while sessions drain, so a new upgrade hears 503 rather than a refused connection. */
  async function shutDown(graceMs: number): Promise<void> {
    httpServer.closeIdleConnections();
    await host.close(graceMs);
    const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
    httpServer.closeAllConnections();
    await stopped;
    await bus.close();
    log.info('server closed');
  }

  for (const [name, handler] of Object.entries(options.workflows ?? {})) server.workflow(name, handler);
  return server;
}

function listenOn(httpServer: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      httpServer.off('listening', onListening);
      if (err.code === 'EADDRINUSE') {
        reject(new Error(`port ${port} on ${host} is already in use: stop the other server or set PORT to a free port`, { cause: err }));
      } else if (err.code === 'EACCES') {
        reject(new Error(`no permission to listen on port ${port}: use a port above 1023 (Heroku sets PORT for you)`, { cause: err }));
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
