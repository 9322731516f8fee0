import { join } from 'node:path';
import { simulate } from '../../src/testing';
import { freePort, spawnServer, type ServerProcess } from '../helpers/spawn-server';

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
