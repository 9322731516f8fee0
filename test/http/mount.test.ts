import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { createWorkflowServer, type WorkflowServer } from '../../src';
import { simulate } from '../../src/testing';
import * as hello from '../../src/workflows/hello';
import { heldAnswer } from '../helpers/held-answer';
import { memoryLogger } from '../helpers/memory-logger';
import { RelayPeer } from '../helpers/relay-peer';
import { get } from '../helpers/get';

const TOKEN = 'tok-0123456789abcdef-mounted';

/** A user's own server: a plain request handler and another WebSocket server on `/chat` (as socket.io would be). */
async function userServer(): Promise<{ http: Server; chat: WebSocketServer; port: number }> {
  const http = createServer((_request, response) => response.end('the app answers'));
  const chat = new WebSocketServer({ noServer: true });
  chat.on('connection', (socket) => socket.on('message', (data: Buffer) => socket.send(`echo ${data.toString()}`)));
  http.on('upgrade', (request, socket, head) => {
    if (request.url?.startsWith('/chat'))
      chat.handleUpgrade(request, socket, head, (ws) => chat.emit('connection', ws, request));
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  return { http, chat, port: (http.address() as AddressInfo).port };
}

async function echo(url: string): Promise<string> {
  const socket = new WebSocket(url);
  await once(socket, 'open');
  socket.send('hi');
  const [data] = (await once(socket, 'message')) as [Buffer];
  socket.close();
  await once(socket, 'close');
  return data.toString();
}

describe('createWorkflowServer({ server }): mounted on an existing HTTP server', () => {
  let user: Awaited<ReturnType<typeof userServer>>;
  let workflows: WorkflowServer;
  const logs = memoryLogger();

  beforeEach(async () => {
    user = await userServer();
    workflows = createWorkflowServer({
      server: user.http,
      logger: logs.logger,
      workflows: { hello },
      config: { workflowToken: TOKEN },
    });
  });

  afterEach(async () => {
    await workflows.close(0);
    user.chat.close();
    user.http.closeAllConnections();
    await new Promise((resolve) => user.http.close(resolve));
  });

  it('runs a workflow on the server, while its other upgrade listener and its request handler keep their paths', async () => {
    const run = await simulate(`ws://127.0.0.1:${user.port}/hello?token=${TOKEN}`, { answers: ['Ada'] });
    expect(run.says).toEqual(['What is your name?', 'Hello Ada!']);
    // Not a workflow path: no 401 for the missing token, no 404; the chat server gets it whole.
    expect(await echo(`ws://127.0.0.1:${user.port}/chat`)).toBe('echo hi');
    const page = await get(user.port, '/');
    expect(page.body).toBe('the app answers');
    expect((await get(user.port, '/health')).body).toBe('the app answers');
    expect(user.http.listenerCount('request')).toBe(1);
  });

  it('still refuses a workflow path without the token, with 401', async () => {
    await expect(RelayPeer.connect(`ws://127.0.0.1:${user.port}/hello`)).rejects.toMatchObject({ status: 401 });
  });

  it('never listens, and takes no routes', async () => {
    await expect(workflows.listen(0)).rejects.toThrow(
      'listen() is not available on a workflow server mounted on your own HTTP server: call listen on that server',
    );
    expect(() => workflows.routes(() => undefined)).toThrow('add routes to its framework');
    expect(() => createWorkflowServer({ server: user.http, routes: [() => undefined] })).toThrow(
      'routes cannot be combined with server',
    );
    await expect(workflows.inject('/')).rejects.toThrow('inject()');
    expect(workflows.httpServer).toBe(user.http);
  });

  it('on close drains its sessions (new ones get 503), then detaches and leaves the server running', async () => {
    const before = user.http.listenerCount('upgrade');
    const held = heldAnswer();
    const run = simulate(`ws://127.0.0.1:${user.port}/hello?token=${TOKEN}`, { answers: held.answers });
    await held.listening;
    const closed = workflows.close(10_000);
    await expect(RelayPeer.connect(`ws://127.0.0.1:${user.port}/hello?token=${TOKEN}`)).rejects.toMatchObject({
      status: 503,
    });
    expect(await echo(`ws://127.0.0.1:${user.port}/chat`)).toBe('echo hi');
    held.speak('Bo');
    expect((await run).says).toEqual(['What is your name?', 'Hello Bo!']);
    await closed;
    expect(user.http.listening).toBe(true);
    expect(user.http.listenerCount('upgrade')).toBe(before - 1);
    expect((await get(user.port, '/')).body).toBe('the app answers');
    expect(await echo(`ws://127.0.0.1:${user.port}/chat`)).toBe('echo hi');
  });
});

describe('mounted on a server with no other upgrade listener', () => {
  it('refuses an upgrade to an unknown path with 404 rather than leaving it hanging, and logs the URLs when the server listens', async () => {
    const http = createServer((_request, response) => response.end('app'));
    const logs = memoryLogger();
    const workflows = createWorkflowServer({ server: http, logger: logs.logger, workflows: { hello } });
    try {
      http.listen(0, '127.0.0.1');
      await once(http, 'listening');
      const { port } = http.address() as AddressInfo;
      await expect(RelayPeer.connect(`ws://127.0.0.1:${port}/nope`)).rejects.toMatchObject({ status: 404 });
      expect(logs.lines().find((line) => line.msg === 'server listening')).toMatchObject({
        port,
        workflows: { '/hello': `ws://127.0.0.1:${port}/hello` },
      });
      expect(
        logs.lines().find((line) => line.level === 'warn' && String(line.msg).includes('keepAliveTimeout')),
      ).toBeDefined();
    } finally {
      await workflows.close(0);
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
