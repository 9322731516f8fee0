import { join } from 'node:path';
import { createWorkflowServer, Event, type WorkflowServer } from '../../src';
import { simulate } from '../../src/testing';
import { memoryLogger } from '../helpers/memory-logger';
import { RelayPeer, startEvent } from '../helpers/relay-peer';
import { freePort, spawnServer, type ServerProcess } from '../helpers/spawn-server';

describe('workflow code that fails', () => {
  let server: WorkflowServer;
  let base: string;
  const logs = memoryLogger();
  const errors: Error[] = [];

  beforeAll(async () => {
    server = createWorkflowServer({
      logger: logs.logger,
      workflows: {
        rejecting: (workflow) => {
          workflow.on(Event.START, () => Promise.reject(new Error('handler rejected')));
          workflow.on(Event.ERROR, ({ error }) => {
            errors.push(error);
          });
        },
        stuck: (workflow) => {
          workflow.on(Event.START, () => new Promise(() => undefined));
        },
      },
    });
    const { port } = await server.listen(0, '127.0.0.1');
    base = `ws://127.0.0.1:${port}`;
  });
  afterAll(() => server.close(0));

  it('logs a rejected handler once, with the session context, and hands it to the error handler', async () => {
    const peer = await RelayPeer.connect(`${base}/rejecting`);
    peer.send(startEvent());
    while (errors.length === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(errors.map((error) => error.message)).toEqual(['handler rejected']);
    const failures = logs.lines().filter((line) => line.msg === 'workflow handler failed');
    expect(failures).toEqual([
      expect.objectContaining({ level: 'error', workflow: 'rejecting', event: 'start', session: expect.any(String) }),
    ]);
    await peer.close();
  });

  it('frees a session whose handler never settles when the peer leaves, and says so', async () => {
    const peer = await RelayPeer.connect(`${base}/stuck`);
    peer.send(startEvent());
    await peer.close();
    while (server.sessions > 0) await new Promise((resolve) => setImmediate(resolve));
    await logs.logged('session closed', (line) => line.workflow === 'stuck');
    expect(logs.lines()).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        workflow: 'stuck',
        event: 'start',
        msg: 'session closed while a handler was still running; its later actions fail',
      }),
    );
  });
});

describe('the process, when workflow code fails outside any handler', () => {
  let process_: ServerProcess | undefined;
  afterEach(() => process_?.child.kill('SIGKILL'));

  function start(port: number): ServerProcess {
    process_ = spawnServer({ PORT: String(port) }, { entry: join(__dirname, '..', 'fixtures', 'crashing-server.js') });
    return process_;
  }

  it('logs a rejection nobody awaited and goes on serving', async () => {
    const port = await freePort();
    const server = start(port);
    await server.line('server listening');
    await simulate(`ws://127.0.0.1:${port}/forgetful`, { timeoutMs: 200 }).catch(() => undefined);
    expect(
      await server.line('a promise was rejected and nothing awaited it (a workflow action without await?)'),
    ).toMatchObject({
      level: 'error',
      err: expect.objectContaining({ message: 'nobody awaited this' }),
    });
    const run = await simulate(`ws://127.0.0.1:${port}/hello`, { answers: ['Jo'] });
    expect(run.says).toEqual(['What is your name?', 'Hello Jo!']);
  });

  it('logs an uncaught exception at fatal with its context, then exits 1', async () => {
    const port = await freePort();
    const server = start(port);
    await server.line('server listening');
    void simulate(`ws://127.0.0.1:${port}/exploding`, { timeoutMs: 2000 }).catch(() => undefined);
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(await server.line('uncaught exception; exiting')).toMatchObject({
      level: 'fatal',
      sessions: 1,
      err: expect.objectContaining({ message: 'boom from a timer' }),
    });
  });
});
