import { createWorkflowServer, defineRoutes, type WorkflowServer } from '../../src';
import { memoryLogger } from '../helpers/memory-logger';
import { RelayPeer } from '../helpers/relay-peer';
import { get } from '../helpers/get';

/** Set by node from the createServer option, though @types/node does not declare it. */
const checkingInterval = (server: WorkflowServer) =>
  (server.httpServer as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval;

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
    expect(checkingInterval(server)).toBe(1_000);
    expect(http.listenerCount('clientError')).toBe(1);
    expect(http.listenerCount('upgrade')).toBe(1);
  });

  it('uses 10 s for headers by default, and checks connections every second', () => {
    const server = createWorkflowServer({ logger: memoryLogger().logger });
    servers.push(server);
    expect(server.httpServer.headersTimeout).toBe(10_000);
    expect(server.httpServer.requestTimeout).toBe(15_000);
    expect(checkingInterval(server)).toBe(1_000);
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
