import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulate } from '../src/testing';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { BUILD_DIR } from './global-setup';
import { freePort, spawnServer, type ServerProcess } from './helpers/spawn-server';
import { heldAnswer } from './helpers/held-answer';

const running: ServerProcess[] = [];
afterEach(() => {
  for (const server of running.splice(0)) server.child.kill('SIGKILL');
});

function start(env: Record<string, string>, cwd?: string): ServerProcess {
  const server = spawnServer(env, { cwd });
  running.push(server);
  return server;
}

describe('the server process (the Procfile web command)', () => {
  it('stops before listening, exit code 1, with one line naming a bad variable', async () => {
    const server = start({ PORT: 'abc' });
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.stderr()).toBe('configuration error: PORT must be an integer from 1 to 65535, got "abc"\n');
    expect(server.lines).toEqual([]);
  });

  it('with only PORT set, listens on 0.0.0.0:$PORT and runs /hello to the end', async () => {
    const port = await freePort();
    const server = start({ PORT: String(port) });
    const listening = await server.line('server listening');
    expect(listening).toMatchObject({
      level: 'info',
      address: '0.0.0.0',
      port,
      workflows: { '/hello': `ws://localhost:${port}/hello` },
    });
    const run = await simulate(`ws://127.0.0.1:${port}/hello`, { answers: ['Ana'] });
    expect(run.says).toEqual(['What is your name?', 'Hello Ana!']);
    expect(await server.line('session closed')).toMatchObject({ workflow: 'hello', endedBy: 'peer-closed' });
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(await server.line('server closed')).toMatchObject({ level: 'info' });
  });

  it('on SIGTERM lets a conversation in flight finish, then exits 0', async () => {
    const port = await freePort();
    const server = start({ PORT: String(port), SHUTDOWN_GRACE_MS: '20000' });
    await server.line('server listening');
    const held = heldAnswer();
    const run = simulate(`ws://127.0.0.1:${port}/hello`, { answers: held.answers });
    await held.listening;
    server.child.kill('SIGTERM');
    expect(await server.line('shutting down')).toMatchObject({ signal: 'SIGTERM' });
    await server.line('waiting for open sessions to finish');
    held.speak('Flo');
    expect((await run).says).toEqual(['What is your name?', 'Hello Flo!']);
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });

  it('reads a .env file in its working directory, real variables winning', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'relay-dotenv-'));
    writeFileSync(join(dir, '.env'), `PORT=${port}\nLOG_LEVEL=debug\n`);
    const server = start({ LOG_LEVEL: 'info' }, dir);
    expect(await server.line('server listening')).toMatchObject({ port });
    await simulate(`ws://127.0.0.1:${port}/hello`, { answers: ['Gus'] });
    await server.line('session closed');
    server.child.kill('SIGINT');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.lines.some((line) => line.level === 'debug')).toBe(false);
  });

  it('warns once per .env typo at startup, naming the key and the closest known name, and still starts', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'relay-dotenv-'));
    writeFileSync(join(dir, '.env'), `PORT=${port}\nLOG_LEVL=debug\njust some words\n`);
    const server = start({}, dir);
    expect(await server.line('server listening')).toMatchObject({ port });
    const warnings = server.lines.filter((line) => line.level === 'warn' && String(line.msg).startsWith('.env'));
    expect(warnings.map((line) => line.msg)).toEqual([
      '.env: LOG_LEVL is not a variable this app reads (did you mean LOG_LEVEL?); it is ignored',
      '.env line 3 is not KEY=value; it is ignored (the line is not shown: it may hold a secret)',
    ]);
  });

  it('on SIGTERM closes a conversation that outlives SHUTDOWN_GRACE_MS with 1001 and still exits 0', async () => {
    const port = await freePort();
    const server = start({ PORT: String(port), SHUTDOWN_GRACE_MS: '300' });
    await server.line('server listening');
    // The person never answers: the session is still in `listen` when the grace ends.
    const held = heldAnswer();
    const run = simulate(`ws://127.0.0.1:${port}/hello`, { answers: held.answers });
    await held.listening;
    server.child.kill('SIGTERM');
    const result = await run;
    expect(result.code).toBe(1001);
    expect(result.says).toEqual(['What is your name?']);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(await server.line('session closed')).toMatchObject({ endedBy: 'server-shutdown', code: 1001 });
  });

  it('on SIGUSR2 (npm run dev restarting it) ends open sessions at once with 1012, without the grace, and exits 0', async () => {
    const port = await freePort();
    // A grace longer than this test's timeout (20 s): waiting it out would fail the test.
    const server = start({ PORT: String(port), SHUTDOWN_GRACE_MS: '25000' });
    await server.line('server listening');
    const held = heldAnswer();
    const run = simulate(`ws://127.0.0.1:${port}/hello`, { answers: held.answers });
    await held.listening;
    server.child.kill('SIGUSR2');
    expect(
      await server.line(
        'restarting (npm run dev): open sessions end now with 1012 (service restart), without the shutdown grace',
      ),
    ).toMatchObject({ signal: 'SIGUSR2', sessions: 1 });
    const result = await run;
    expect(result.code).toBe(1012);
    expect(result.says).toEqual(['What is your name?']);
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(await server.line('session closed')).toMatchObject({ endedBy: 'server-restart', code: 1012 });
    expect(server.lines.some((line) => line.msg === 'waiting for open sessions to finish')).toBe(false);
  });

  it('writes nothing a person said or heard to stdout or stderr at the default level', async () => {
    const port = await freePort();
    const server = start({ PORT: String(port) });
    await server.line('server listening');
    const run = await simulate(`ws://127.0.0.1:${port}/hello`, {
      answers: ['Xanthippe-4d9e'],
      vars: { greeting: 'Salutations' },
    });
    expect(run.says).toEqual(['What is your name?', 'Salutations Xanthippe-4d9e!']);
    await server.line('session closed');
    server.child.kill('SIGTERM');
    await server.exited;
    const everything = JSON.stringify(server.lines) + server.stderr();
    for (const secret of ['Xanthippe', 'Salutations', 'What is your name']) expect(everything).not.toContain(secret);
    expect(server.lines.length).toBeGreaterThanOrEqual(4);
  });
});

describe('a server that is built but never listens', () => {
  it('lets the process exit by itself (no timer keeps it alive)', async () => {
    const entry = join(BUILD_DIR, 'index.js');
    const child = spawn(process.execPath, [
      '-e',
      `require(${JSON.stringify(entry)}).createWorkflowServer({ config: { logLevel: 'silent' } })`,
    ]);
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
