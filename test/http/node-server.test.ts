import type { Server } from 'node:http';
import type { LightMyRequestResponse } from 'fastify';
import { createWorkflowServer, defineRoutes, type Config, type Routes, type WorkflowServer } from '../../src';
import type { HttpApp } from '../../src/http/fastify-app';
import { nodeServerTimeouts, StandaloneHttpServer } from '../../src/http/node-server';
import * as hello from '../../src/workflows/hello';
import { get } from '../helpers/get';
import { memoryLogger } from '../helpers/memory-logger';
import { rawExchange, statusOf, upgradeRequest } from '../helpers/raw-http';
import { RelayPeer } from '../helpers/relay-peer';

const servers: WorkflowServer[] = [];
afterEach(() => Promise.all(servers.splice(0).map((server) => server.close(0))));

describe('the node HTTP server under Fastify', () => {
  it("keeps Heroku's keep-alive and the header/request timeouts, with one clientError answer", () => {
    const server = createWorkflowServer({ logger: memoryLogger().logger, headersTimeoutMs: 4_000 });
    servers.push(server);
    const http = server.httpServer;
    expect(http.keepAliveTimeout).toBe(95_000);
    expect(http.headersTimeout).toBe(4_000);
    expect(http.requestTimeout).toBe(9_000);
    expect(nodeServerTimeouts(4_000)).toEqual({
      keepAliveTimeout: 95_000,
      headersTimeout: 4_000,
      requestTimeout: 9_000,
      connectionsCheckingInterval: 1_000,
    });
    expect(http.listenerCount('clientError')).toBe(1);
    expect(http.listenerCount('upgrade')).toBe(1);
  });

  it('uses 10 s for headers by default, and checks connections every second', () => {
    const server = createWorkflowServer({ logger: memoryLogger().logger });
    servers.push(server);
    expect(server.httpServer.headersTimeout).toBe(10_000);
    expect(server.httpServer.requestTimeout).toBe(15_000);
    expect(nodeServerTimeouts(10_000).connectionsCheckingInterval).toBe(1_000);
  });

  it('answers headers that do not arrive in time with 408 within the check interval (node checks every 30 s by default)', async () => {
    const server = createWorkflowServer({ logger: memoryLogger().logger, headersTimeoutMs: 400 });
    servers.push(server);
    const { port } = await server.listen(0, '127.0.0.1');
    const started = performance.now();
    const reply = await rawExchange(port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const elapsed = performance.now() - started;
    expect(statusOf(reply)).toBe(408);
    // headersTimeout, then at most one check interval (200 ms here). The upper bound only tells that
    // interval from node's default of 30 s, with room for a loaded machine: it is no speed figure.
    expect(elapsed).toBeGreaterThanOrEqual(350);
    expect(elapsed).toBeLessThan(10_000);
  });

  it('closes a server that never built its HTTP side without building it, and refuses routes and inject afterwards', async () => {
    const closed = jest.fn();
    const server = createWorkflowServer({ logger: memoryLogger().logger }).routes(
      (app) => void app.addHook('onClose', (_instance, done) => (closed(), done())),
    );
    await server.close(0);
    expect(closed).not.toHaveBeenCalled();
    expect(() => server.routes(() => undefined)).toThrow('routes() was called after the server started');
    await expect(server.inject('/health')).rejects.toThrow('the server is closed');
  });

  it('closes Fastify, route modules included, once it was built', async () => {
    const closed = jest.fn();
    const server = createWorkflowServer({ logger: memoryLogger().logger }).routes(
      (app) => void app.addHook('onClose', (_instance, done) => (closed(), done())),
    );
    expect((await server.inject('/health')).statusCode).toBe(200);
    await server.close(0);
    expect(closed).toHaveBeenCalledTimes(1);
  });

  it('builds the HTTP side for the first plain request after listen, and keeps one clientError listener', async () => {
    const logs = memoryLogger();
    const server = createWorkflowServer({ logger: logs.logger });
    servers.push(server);
    const { port } = await server.listen(0, '127.0.0.1');
    const answer = await fetch(`http://127.0.0.1:${port}/health`);
    expect(answer.status).toBe(200);
    expect(server.httpServer.listeners('clientError')).toHaveLength(1);
    await expect(server.ready()).resolves.toBeUndefined();
  });
});

describe('draining (close with sessions open)', () => {
  it('keeps answering HTTP, /health 503 draining with Connection: close, until the last session ends; then closes Fastify', async () => {
    const fastifyClosed = jest.fn();
    const onClose = defineRoutes((app) => void app.addHook('onClose', (_instance, done) => (fastifyClosed(), done())));
    const server = createWorkflowServer({
      logger: memoryLogger().logger,
      workflows: { idle: () => undefined },
      routes: [onClose],
    });
    servers.push(server);
    const { port } = await server.listen(0, '127.0.0.1');
    const peer = await RelayPeer.connect(`ws://127.0.0.1:${port}/idle`);
    // Not kept alive: close() drops idle connections at once, and the next request must not race that.
    expect((await get(port, '/health', { connection: 'close' })).status).toBe(200);
    const closing = server.close(20_000);
    const health = await get(port, '/health');
    expect(health.status).toBe(503);
    expect(health.headers.connection).toBe('close');
    expect(JSON.parse(health.body)).toEqual({
      status: 'draining',
      uptime: expect.any(Number),
      sessions: 1,
      bus: { kind: 'in-process', state: 'embedded' },
    });
    const page = await get(port, '/', { accept: 'application/json' });
    expect(page.status).toBe(200);
    expect(JSON.parse(page.body)).toMatchObject({ status: 'draining', sessions: 1 });
    await expect(RelayPeer.connect(`ws://127.0.0.1:${port}/idle`)).rejects.toMatchObject({ status: 503 });
    expect(fastifyClosed).not.toHaveBeenCalled();
    await peer.close();
    await closing;
    expect(server.httpServer.listening).toBe(false);
    expect(fastifyClosed).toHaveBeenCalledTimes(1);
    expect(server.sessions).toBe(0);
  });
});

describe('StandaloneHttpServer: the lazy build of the plain-HTTP side, alone', () => {
  const standalones: StandaloneHttpServer[] = [];
  afterEach(() => Promise.all(standalones.splice(0).map((server) => server.close(0))));

  /** A build that records its calls and answers every request with what it was built with. */
  function fakeBuild(failure?: { error: Error; how: 'rejects' | 'throws' }) {
    const appClosed = jest.fn(() => Promise.resolve());
    const buildApp = jest.fn((_httpServer: Server, routes: readonly Routes[]): Promise<HttpApp> => {
      if (failure?.how === 'throws') throw failure.error;
      if (failure !== undefined) return Promise.reject(failure.error);
      const text = `built with ${routes.length} route modules`;
      return Promise.resolve({
        handle: (_request, response) => response.end(text),
        inject: () => Promise.resolve({ statusCode: 200, body: text } as LightMyRequestResponse),
        close: appClosed,
      });
    });
    return { buildApp, appClosed };
  }

  function standalone(build = fakeBuild(), buildDelayMs = 60_000) {
    const host = { handleUpgrade: jest.fn(), close: jest.fn(() => Promise.resolve()) };
    const server = new StandaloneHttpServer({
      logger: memoryLogger().logger,
      host,
      registry: { match: () => undefined, names: () => [] },
      config: { herokuAppDomain: undefined, workflowToken: undefined },
      headersTimeoutMs: 10_000,
      buildApp: build.buildApp,
      buildDelayMs,
    });
    standalones.push(server);
    return { server, host, ...build };
  }

  it('builds nothing at construction or listen, then once, at the first plain request, on its own node server', async () => {
    const { server, buildApp } = standalone();
    server.addRoutes(() => undefined);
    const { port } = await server.listen(0, '127.0.0.1');
    expect(buildApp).not.toHaveBeenCalled();
    expect((await get(port, '/a')).body).toBe('built with 1 route modules');
    expect((await get(port, '/b')).body).toBe('built with 1 route modules');
    expect(buildApp).toHaveBeenCalledTimes(1);
    expect(buildApp.mock.calls[0]![0]).toBe(server.httpServer);
    await expect(server.ready()).resolves.toBeUndefined();
  });

  it('builds a moment after listen when no request comes, and ready() waits for that build', async () => {
    const { server, buildApp } = standalone(fakeBuild(), 50);
    await server.listen(0, '127.0.0.1');
    expect(buildApp).not.toHaveBeenCalled();
    await server.ready();
    expect(buildApp).toHaveBeenCalledTimes(1);
  });

  it('builds at once for inject() or ready() before listen, with the route modules in the order added; later routes throw', async () => {
    const { server, buildApp } = standalone();
    const first: Routes = () => undefined;
    const second: Routes = () => undefined;
    server.addRoutes(first);
    server.addRoutes(second);
    expect((await server.inject('/x')).body).toBe('built with 2 route modules');
    await server.ready();
    expect(buildApp).toHaveBeenCalledTimes(1);
    expect(buildApp.mock.calls[0]![1]).toEqual([first, second]);
    expect(() => server.addRoutes(() => undefined)).toThrow('routes() was called after the server started');
  });

  it.each(['rejects', 'throws'] as const)(
    'answers plain requests with 500 when the build %s, and ready() rejects with its error',
    async (how) => {
      const { server } = standalone(fakeBuild({ error: new Error('route module broke'), how }));
      const { port } = await server.listen(0, '127.0.0.1');
      const answer = await get(port, '/');
      expect(answer.status).toBe(500);
      expect(answer.headers['content-type']).toBe('application/json');
      expect(JSON.parse(answer.body)).toEqual({ error: 'the HTTP routes failed to load; see the server log' });
      await expect(server.ready()).rejects.toThrow('route module broke');
    },
  );

  it('a build that throws when its timer fires after listen is reported by ready(), not thrown', async () => {
    const { server, buildApp } = standalone(fakeBuild({ error: new Error('cannot load'), how: 'throws' }), 10);
    await server.listen(0, '127.0.0.1');
    await expect(server.ready()).rejects.toThrow('cannot load');
    expect(buildApp).toHaveBeenCalledTimes(1);
  });

  it('closed before anything needed it: never builds, ready() resolves, inject() rejects', async () => {
    const { server, buildApp, host } = standalone(fakeBuild(), 10);
    await server.listen(0, '127.0.0.1');
    await server.close(0);
    expect(host.close).toHaveBeenCalledWith(0, 'shutdown');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(buildApp).not.toHaveBeenCalled();
    await expect(server.ready()).resolves.toBeUndefined();
    await expect(server.inject('/')).rejects.toThrow('the server is closed');
    expect(server.httpServer.listening).toBe(false);
  });

  it('on close drains the WebSocket host first, then closes the app it built', async () => {
    const { server, host, appClosed } = standalone();
    await server.inject('/');
    await server.close(5);
    expect(host.close).toHaveBeenCalledWith(5, 'shutdown');
    expect(appClosed).toHaveBeenCalledTimes(1);
    expect(host.close.mock.invocationCallOrder[0]).toBeLessThan(appClosed.mock.invocationCallOrder[0]!);
  });

  it('hands every upgrade to the WebSocket host, without building', async () => {
    const { server, host, buildApp } = standalone();
    host.handleUpgrade.mockImplementation((_request, socket: { end: (text: string) => void }) =>
      socket.end('HTTP/1.1 418 I am a teapot\r\n\r\n'),
    );
    const { port } = await server.listen(0, '127.0.0.1');
    expect(statusOf(await rawExchange(port, upgradeRequest('/anything')))).toBe(418);
    expect(host.handleUpgrade).toHaveBeenCalledTimes(1);
    expect(buildApp).not.toHaveBeenCalled();
  });
});

async function listeningLine(config: Partial<Config>): Promise<Record<string, unknown>> {
  const logs = memoryLogger();
  const server = createWorkflowServer({ logger: logs.logger, config, workflows: { hello } });
  servers.push(server);
  await server.listen(0, '0.0.0.0');
  const line = logs.lines().find((entry) => entry.msg === 'server listening');
  if (line === undefined) throw new Error(`no "server listening" line in ${logs.text()}`);
  return line;
}

describe('the startup log line', () => {
  it('with HEROKU_APP_DEFAULT_DOMAIN_NAME, names each workflow by its public wss:// URL', async () => {
    const line = await listeningLine({ herokuAppDomain: 'demo-1234-0123456789ab.herokuapp.com' });
    expect(line).toMatchObject({
      public: true,
      workflows: { '/hello': 'wss://demo-1234-0123456789ab.herokuapp.com/hello' },
    });
    expect(line.hint).toBeUndefined();
  });

  it('without it, names the local URLs and says how to see the public ones', async () => {
    const line = await listeningLine({});
    expect(line).toMatchObject({
      public: false,
      workflows: { '/hello': `ws://localhost:${line.port as number}/hello` },
    });
    expect(line.hint).toContain('heroku labs:enable runtime-dyno-metadata');
  });

  it('with a token, shows a placeholder in the URLs, never the token', async () => {
    const token = 'tok-0123456789abcdef-secret';
    const line = await listeningLine({ herokuAppDomain: 'demo.herokuapp.com', workflowToken: token });
    expect(line).toMatchObject({
      access: 'token',
      workflows: { '/hello': 'wss://demo.herokuapp.com/hello?token=<WORKFLOW_TOKEN>' },
    });
    expect(JSON.stringify(line)).not.toContain(token);
  });
});
