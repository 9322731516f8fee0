import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulate } from '../src/testing';
import { BUILD_DIR } from './global-setup';
import { freePort } from './helpers/free-port';
import { startProcess, type StartedProcess } from './helpers/start-process';

const ROOT = join(__dirname, '..');
const SIM_CLI = join(BUILD_DIR, 'bin', 'sim.js');
const LISTENING = /"msg":"server listening"/;
/** Preloaded into the dev script (`--require`) to make it fail in the way DEV_FAULT names. */
const FAULTS = join(__dirname, 'fixtures', 'dev-faults.js');
/** How long what the dev script started may take to end after the dev script has exited: they are sent SIGKILL. */
const CHILDREN_GONE_MS = 5_000;

/**
 * A project to run `npm run dev` in, outside this checkout: the real dev script, Procfile and
 * package.json, the server already compiled (this test run's build) as dist/, and a one-file
 * stand-in for src/, so tsc --watch builds in a moment instead of compiling the whole app (the
 * slow test dev-loop.slow.test.ts edits the real src/). Editing `src/edited.ts` makes a new build.
 */
function devProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'relay-dev-restart-'));
  for (const path of ['scripts', 'package.json', 'Procfile', '.nvmrc'])
    cpSync(join(ROOT, path), join(dir, path), { recursive: true });
  cpSync(BUILD_DIR, join(dir, 'dist'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  mkdirSync(join(dir, 'src'));
  writeFileSync(
    join(dir, 'src', 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { outDir: '../dist', rootDir: '.', types: [], lib: ['es5'], skipLibCheck: true },
      files: ['edited.ts'],
    }),
  );
  writeFileSync(join(dir, 'src', 'edited.ts'), 'export const edited = 1;\n');
  return dir;
}

describe('npm run dev (scripts/dev.cjs): restarts, failures and stopping', () => {
  const dirs: string[] = [];
  const started: StartedProcess[] = [];
  afterEach(async () => {
    for (const running of started.splice(0)) {
      running.signal('SIGKILL');
      await running.closed;
    }
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the dev script in `dir`; `nodeArgs` go before the script (`--require` of a fault, say). */
  function dev(dir: string, env: Record<string, string>, nodeArgs: string[] = []): StartedProcess {
    const running = startProcess(process.execPath, [...nodeArgs, 'scripts/dev.cjs'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    started.push(running);
    return running;
  }

  /** `npm run sim` connected to hello and waiting for an answer, so the session stays open. */
  async function openSession(port: number): Promise<StartedProcess> {
    const sim = startProcess(
      process.execPath,
      [SIM_CLI, '--url', `ws://127.0.0.1:${port}/hello`],
      { env: { PATH: process.env.PATH ?? '' } },
      { stdin: 'pipe' },
    );
    started.push(sim);
    await sim.line(/listen/);
    return sim;
  }

  /** The first line matching `pattern`; fails, with the output, if the process exits before writing one. */
  function lineWhileRunning(running: StartedProcess, pattern: RegExp): Promise<string> {
    return Promise.race([
      running.line(pattern),
      running.exited.then(({ code, signal }) => {
        throw new Error(`exited (${signal ?? `code ${code}`}) before a line matching ${pattern}:\n${running.output()}`);
      }),
    ]);
  }

  /**
   * Resolves once nothing the exited dev script started is running (its output has ended: the server
   * and tsc write to it too); fails if something still is CHILDREN_GONE_MS later.
   */
  async function childrenGone(running: StartedProcess): Promise<void> {
    await running.exited;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `the dev script exited, but what it started still runs ${CHILDREN_GONE_MS} ms later:\n${running.output()}`,
            ),
          ),
        CHILDREN_GONE_MS,
      );
    });
    try {
      await Promise.race([running.closed, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  // The grace is long (25 s). That the restart did not wait it out shows in the close code and the
  // log: after a grace the session would end with 1001 and `endedBy: server-shutdown`.
  it('after a rebuild, ends an open session at once with 1012, and npm run sim says the server restarted', async () => {
    const dir = devProject();
    dirs.push(dir);
    const port = await freePort();
    const server = dev(dir, { PORT: String(port), SHUTDOWN_GRACE_MS: '25000' });
    await server.line(LISTENING);
    const sim = await openSession(port);

    const relistening = server.nextLine(LISTENING);
    writeFileSync(join(dir, 'src', 'edited.ts'), 'export const edited = 2;\n');
    expect(await sim.line(/the server restarted/)).toBe(
      'sim: the server restarted (npm run dev restarts it on every change); run the simulator again for a new session',
    );
    expect(await sim.exited).toEqual({ code: 1, signal: null });
    await server.line(/^dev: src\/ was rebuilt: restarting the server$/);
    expect(JSON.parse(await server.line(/"msg":"restarting \(npm run dev\)/))).toMatchObject({
      signal: 'SIGUSR2',
      sessions: 1,
    });
    expect(JSON.parse(await server.line(/"msg":"session closed"/))).toMatchObject({
      endedBy: 'server-restart',
      code: 1012,
    });

    await relistening;
    const run = await simulate(`ws://127.0.0.1:${port}/hello`, { answers: ['Ana'] });
    expect(run.says).toEqual(['What is your name?', 'Hello Ana!']);
    expect(server.output()).not.toContain('waiting for open sessions to finish');
  }, 60_000);

  it('restarts the server when .env changes, and the new server runs with the new values', async () => {
    const dir = devProject();
    dirs.push(dir);
    const [before, after] = [await freePort(), await freePort()];
    writeFileSync(join(dir, '.env'), `PORT=${before}\n`);
    const server = dev(dir, {});
    expect(JSON.parse(await server.line(LISTENING))).toMatchObject({ port: before });

    const relistening = server.nextLine(LISTENING);
    writeFileSync(join(dir, '.env'), `PORT=${after}\n`);
    expect(JSON.parse(await relistening)).toMatchObject({ port: after });
    expect(server.output()).toContain('dev: .env changed: restarting the server');
    const run = await simulate(`ws://127.0.0.1:${after}/hello`, { answers: ['Ana'] });
    expect(run.says).toEqual(['What is your name?', 'Hello Ana!']);
  }, 60_000);

  it('says so when .env cannot be read (a directory now), goes on, and restarts the server once .env reads again', async () => {
    const dir = devProject();
    dirs.push(dir);
    const port = await freePort();
    const server = dev(dir, { PORT: String(port) });
    await server.line(LISTENING);

    mkdirSync(join(dir, '.env'));
    expect(await lineWhileRunning(server, /^dev: cannot read \.env/)).toMatch(
      /^dev: cannot read \.env \(EISDIR: .+\): taken as unchanged until it can be read$/,
    );

    const relistening = server.nextLine(LISTENING);
    rmSync(join(dir, '.env'), { recursive: true });
    writeFileSync(join(dir, '.env'), 'LOG_LEVEL=info\n');
    await lineWhileRunning(server, /^dev: \.env changed: restarting the server$/);
    await relistening;
    expect(server.output().match(/^dev: cannot read \.env/gm)).toHaveLength(1);
  }, 60_000);

  it('says so when the server cannot be started, goes on, and starts it on the next change', async () => {
    const dir = devProject();
    dirs.push(dir);
    const port = await freePort();
    const server = dev(dir, { PORT: String(port), DEV_FAULT: 'spawn-server' }, ['--require', FAULTS]);
    expect(await lineWhileRunning(server, /^dev: cannot start the server/)).toMatch(
      /^dev: cannot start the server \(spawn .+ ENOENT\); it starts again on the next change to src\/ or \.env$/,
    );

    writeFileSync(join(dir, 'src', 'edited.ts'), 'export const edited = 2;\n');
    await lineWhileRunning(server, /^dev: src\/ was rebuilt: starting the server$/);
    await lineWhileRunning(server, LISTENING);
    const run = await simulate(`ws://127.0.0.1:${port}/hello`, { answers: ['Ana'] });
    expect(run.says).toEqual(['What is your name?', 'Hello Ana!']);
  }, 60_000);

  it('stops with exit code 1, in one line, when tsc cannot be started', async () => {
    const dir = devProject();
    dirs.push(dir);
    const server = dev(dir, { PORT: String(await freePort()), DEV_FAULT: 'spawn-tsc' }, ['--require', FAULTS]);
    expect(await server.exited).toEqual({ code: 1, signal: null });
    await childrenGone(server);
    expect(server.output()).toMatch(/^dev: cannot start tsc \(spawn .+ ENOENT\): stopping$/m);
    expect(server.output()).not.toMatch(/^\s+at /m);
  }, 60_000);

  it('starts no server for a build tsc reports after a stop began, and exits', async () => {
    const dir = devProject();
    dirs.push(dir);
    const server = dev(dir, { PORT: String(await freePort()), DEV_FAULT: 'tsc-builds-on-sigterm' }, [
      '--require',
      FAULTS,
    ]);
    // Echoed by the dev script, so its signal handlers are in place.
    await server.line(/^stand-in tsc: started$/);

    process.kill(server.pid!, 'SIGTERM');
    const first = await Promise.race([
      server.exited.then((exit) => ({ exit })),
      server.line(LISTENING).then(() => 'a server started after the stop began'),
    ]);
    expect(first).toEqual({ exit: { code: 0, signal: null } });
    await childrenGone(server);
    expect(server.output()).toContain('Watching for file changes');
    expect(server.output()).not.toMatch(LISTENING);
  }, 60_000);

  it('kills the server and tsc when it exits on an exception nothing caught', async () => {
    const dir = devProject();
    dirs.push(dir);
    const server = dev(dir, { PORT: String(await freePort()), DEV_FAULT: 'throw-on-sighup' }, ['--require', FAULTS]);
    await server.line(LISTENING);

    process.kill(server.pid!, 'SIGHUP');
    expect(await server.exited).toEqual({ code: 1, signal: null });
    await childrenGone(server);
    expect(server.output()).toContain('DEV_FAULT=throw-on-sighup');
    expect(server.output()).toMatch(/^dev: exiting \(code 1\): killed the server and tsc$/m);
  }, 60_000);

  /**
   * A dev script whose server holds a session open (a 25 s grace) and has just been sent SIGTERM by
   * the dev script, which was sent SIGTERM: the server is draining.
   */
  async function drainingAfterSigterm(): Promise<StartedProcess> {
    const dir = devProject();
    dirs.push(dir);
    const port = await freePort();
    const server = dev(dir, { PORT: String(port), SHUTDOWN_GRACE_MS: '25000' });
    await server.line(LISTENING);
    await openSession(port);
    process.kill(server.pid!, 'SIGTERM');
    expect(JSON.parse(await server.line(/"msg":"shutting down"/))).toMatchObject({ signal: 'SIGTERM', sessions: 1 });
    return server;
  }

  // The signals go to the dev script alone (`kill <pid>`), not to its process group as Ctrl-C does:
  // the server hears SIGTERM only from the dev script, so its "shutting down" says the dev script is stopping.
  it('kills a server draining its sessions on a second SIGTERM, and exits', async () => {
    const server = await drainingAfterSigterm();
    process.kill(server.pid!, 'SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    await childrenGone(server);
    // Each line on its own: the server's stdout may come between the two in the merged output.
    const output = server.output();
    const exiting = output.indexOf('dev: SIGTERM while stopping: exiting now');
    // tsc, sent SIGTERM with the first signal, may not have been heard exiting yet.
    const killed = output.search(/^dev: exiting \(code 0\): killed the server( and tsc)?$/m);
    expect({ exiting: exiting >= 0, killed: killed > exiting }).toEqual({ exiting: true, killed: true });
    expect(server.output()).not.toContain('"msg":"session closed"');
  }, 60_000);

  it('kills a server still draining its sessions 10 s after SIGTERM (KILL_AFTER_MS)', async () => {
    const server = await drainingAfterSigterm();
    expect(await server.exited).toEqual({ code: 0, signal: null });
    await childrenGone(server);
    expect(server.output()).toMatch(/^dev: the server did not stop within 10 s of SIGTERM: killing it$/m);
    expect(server.output()).not.toContain('"msg":"session closed"');
  }, 60_000);
});
