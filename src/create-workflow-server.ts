import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { readAppInfo } from './util';
import { DEFAULT_CONFIG, type Config } from './config';
import { relayApiFromConfig, type RelayApi } from './api/relay-api';
import { createIdempotencyStore } from './bus/idempotency';
import { createBus, type SessionBus } from './bus/session-bus';
import type { RouteContext, Routes } from './http/define-routes';
import type { buildHttpApp as BuildHttpApp } from './http/fastify-app';
import { MountedHttpServer, StandaloneHttpServer, type WorkflowHttpServer } from './http/node-server';
import { RegistrationStatus } from './http/registration-status';
import { busReport, type ServerSnapshot } from './http/status';
import type { WebhookAnswer } from './http/webhook';
import { createLogger, type Logger } from './logger';
import { assertSupportedNode } from './node-support';
import { publicHostOf, registrationSecretsOf, registrationTargetOf } from './registrations';
import { WebSocketHost, type ServerStop } from './relay/websocket-host';
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
   * Closes as {@link close} does, but for a restart of the process (what `npm run dev` does on every
   * change): open sessions are ended at once with close code 1012 (service restart) instead of
   * having SHUTDOWN_GRACE_MS to finish; `npm run sim` then says the server restarted. After a
   * `close` already under way, resolves when that one is done.
   */
  closeForRestart(): Promise<void>;
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
  /** Bytes buffered for the sessions' peers now: messages still arriving and events queued (MAX_BUFFERED_BYTES caps it). */
  readonly bufferedBytes: number;
  /** The underlying HTTP server (the one given as `server` when mounted; `listen` and `close` manage the own one). */
  readonly httpServer: Server;
  /** The session bus: `server.bus.publish(topic, data)` reaches the sessions subscribed to `topic`. */
  readonly bus: SessionBus;
  /** The Relay HTTP API client; undefined without RELAY_API_KEY and RELAY_SUBSCRIBER_ID. */
  readonly api: RelayApi | undefined;
}

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
  assertSupportedNode();
  if (options.server !== undefined && (options.routes ?? []).length > 0) {
    throw new TypeError(
      'routes cannot be combined with server: add your routes to the framework that owns that server (express, ...)',
    );
  }
  const config: Config = { ...DEFAULT_CONFIG, ...options.config };
  const logger = options.logger ?? createLogger({ level: config.logLevel, logPrivateData: config.logPrivateData });
  const bus = options.bus ?? createBus(config, logger);
  const api = options.api ?? relayApiFromConfig(config, logger);
  const host = new WebSocketHost({
    registry,
    logger,
    heartbeatMs: config.heartbeatMs,
    maxPayloadBytes: config.maxPayloadBytes,
    maxSessions: config.maxSessions,
    startTimeoutMs: config.startTimeoutMs,
    maxQueuedBytes: config.maxQueuedBytes,
    maxBufferedBytes: config.maxBufferedBytes,
    workflowToken: config.workflowToken,
    workflowSecrets:
      config.workflowSecret === undefined
        ? undefined
        : { current: config.workflowSecret, previous: config.workflowSecretPrevious },
    logPrivateData: config.logPrivateData,
    context: { bus, api, settings: { dispatchWebhookUrl: config.dispatchWebhookUrl } },
  });
  const publicHost = publicHostOf(config);
  // With API credentials, the status page shows whether Relay's registrations are in step with the
  // code, read in the background at most once a minute (started at listen, stopped at close).
  const registrations =
    api === undefined || options.server !== undefined
      ? undefined
      : new RegistrationStatus({
          api,
          workflows: () => registry.entries(),
          target: registrationTargetOf(config),
          logger: logger.child({ component: 'registration-status' }),
          secrets: registrationSecretsOf(config),
        });
  let closing: Promise<void> | undefined;
  const startedAt = Date.now();
  const app = readAppInfo();
  const snapshot = (): ServerSnapshot => ({
    app,
    release: { version: config.herokuReleaseVersion, commit: config.herokuSlugCommit },
    workflows: registry.entries(),
    sessions: host.size,
    uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
    draining: closing !== undefined,
    tokenRequired: config.workflowToken !== undefined,
    secretRequired: config.workflowSecret !== undefined,
    bus: busReport(bus.state),
    registrations,
    install: config.relayInstall,
    publicHost,
  });
  const context: RouteContext = {
    workflowNames: () => registry.names(),
    log: logger,
    config,
    api,
    bus,
    idempotency: createIdempotencyStore<WebhookAnswer>(bus),
  };
  // The HTTP side: its own node server answering with Fastify (built when first needed), or the
  // workflow upgrades on the caller's server.
  const http: WorkflowHttpServer =
    options.server === undefined
      ? new StandaloneHttpServer({
          logger,
          host,
          registry,
          config,
          headersTimeoutMs: options.headersTimeoutMs ?? 10_000,
          buildApp(httpServer, routes) {
            // Required here, not imported at the top: loading Fastify is most of a cold start (docs/performance.md).
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const { buildHttpApp } = require('./http/fastify-app') as { buildHttpApp: typeof BuildHttpApp };
            const bodyLimitBytes = options.bodyLimitBytes ?? 64 * 1024;
            return buildHttpApp({ logger, snapshot, httpServer, bodyLimitBytes, routes, context });
          },
        })
      : new MountedHttpServer(options.server, { logger, host, registry, config });

  const closeAll = (graceMs: number, stop: ServerStop) => {
    registrations?.close();
    return http
      .close(graceMs, stop)
      .then(() => bus.close())
      .then(() => logger.info(options.server === undefined ? 'server closed' : 'workflows detached'));
  };

  const server: WorkflowServer = {
    workflow(name, workflow, registration) {
      registry.add(name, workflow, registration);
      return server;
    },
    routes(routes) {
      http.addRoutes(routes);
      return server;
    },
    async listen(port = config.port, hostname = config.host) {
      const address = await http.listen(port, hostname);
      if (closing === undefined) registrations?.start();
      return address;
    },
    close(graceMs = config.shutdownGraceMs) {
      closing ??= closeAll(graceMs, 'shutdown');
      return closing;
    },
    closeForRestart() {
      closing ??= closeAll(0, 'restart');
      return closing;
    },
    inject: (request) => http.inject(request),
    ready: () => http.ready(),
    get sessions() {
      return host.size;
    },
    get bufferedBytes() {
      return host.bufferedBytes;
    },
    httpServer: http.httpServer,
    bus,
    api,
  };
  for (const [name, handler] of Object.entries(options.workflows ?? {})) server.workflow(name, handler);
  for (const routes of options.routes ?? []) server.routes(routes);
  return server;
}
