import { join } from 'node:path';
import WebSocket from 'ws';
import { simulate } from '../../src/testing';
import { heldAnswer } from '../helpers/held-answer';
import { freePort, spawnServer, type ServerProcess } from '../helpers/spawn-server';

/** The hostile-peer holes that are a process's: it must not exit, and a second SIGTERM must not cut the drain. */

const running: ServerProcess[] = [];
afterEach(() => {
  for (const server of running.splice(0)) server.child.kill('SIGKILL');
});

async function started(env: Record<string, string> = {}): Promise<{ server: ServerProcess; port: number }> {
  const port = await freePort();
  const server = spawnServer({ PORT: String(port), ...env });
  running.push(server);
  await server.line('server listening');
  return { server, port };
}

describe('the server process, against a hostile peer', () => {
  it('survives the 36-byte frame that used to kill it, with conversations in flight', async () => {
    const { server, port } = await started();
    const held = Array.from({ length: 5 }, () => heldAnswer());
    const runs = held.map((answer) => simulate(`ws://127.0.0.1:${port}/hello`, { answers: answer.answers }));
    await Promise.all(held.map((answer) => answer.listening));

    const attacker = new WebSocket(`ws://127.0.0.1:${port}/hello`);
    await new Promise((resolve) => attacker.once('open', resolve));
    const frame = '{"_type":"wf_api_constructor_event"}';
    expect(Buffer.byteLength(frame)).toBe(36);
    attacker.send(frame);
    for (const name of ['__proto__', 'toString', 'valueOf', 'hasOwnProperty'])
      attacker.send(`{"_type":"wf_api_${name}_event"}`);
    attacker.close();
    // The frames were read and ignored: the process logged it, and went on.
    expect(await server.line('ignored an event before the start event')).toMatchObject({
      type: 'wf_api_constructor_event',
    });

    held.forEach((answer, i) => answer.speak(`Guest${i}`));
    const says = (await Promise.all(runs)).map((run) => run.says);
    expect(says).toEqual(held.map((_, i) => ['What is your name?', `Hello Guest${i}!`]));
    expect(server.child.exitCode).toBeNull();
    expect(server.lines.filter((line) => line.level === 'fatal')).toEqual([]);
  });

  it('logs and ignores a second SIGTERM during the drain, and the conversation in flight still finishes', async () => {
    const { server, port } = await started({ SHUTDOWN_GRACE_MS: '20000' });
    const held = heldAnswer();
    const run = simulate(`ws://127.0.0.1:${port}/hello`, { answers: held.answers });
    await held.listening;
    server.child.kill('SIGTERM');
    await server.line('waiting for open sessions to finish');
    server.child.kill('SIGTERM');
    expect(await server.line('already shutting down; ignoring the signal')).toMatchObject({
      level: 'warn',
      signal: 'SIGTERM',
      sessions: 1,
    });
    held.speak('Zoe');
    expect((await run).says).toEqual(['What is your name?', 'Hello Zoe!']);
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });
});

describe('the server process, with a broken route module', () => {
  it('listens at once (the HTTP side is built after), then logs the route error at fatal and exits 1', async () => {
    const port = await freePort();
    const server = spawnServer(
      { PORT: String(port) },
      { entry: join(__dirname, '..', 'fixtures', 'broken-route-server.js') },
    );
    running.push(server);
    await server.line('server listening');
    const fatal = await server.line('an HTTP route module failed to load (see err); fix it and deploy again. Exiting');
    expect(fatal).toMatchObject({ level: 'fatal', err: { message: 'this route module is broken' } });
    expect(await server.exited).toEqual({ code: 1, signal: null });
  });
});
