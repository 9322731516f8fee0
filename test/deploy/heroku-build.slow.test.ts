import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { simulate } from '../../src/testing';
import { freePort } from '../helpers/spawn-server';
import { readProcfile } from '../helpers/read-procfile';
import { run, startProcess, type StartedProcess } from '../helpers/start-process';

const ROOT = join(__dirname, '..', '..');
/** The Node running the tests (Node 24 in CI), first on PATH for every step, as the buildpack does. */
const PATH = `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`;
/** The Heroku CLI, installed on first use (CI only: it is no dependency of the app). */
const HEROKU_CLI_VERSION = '11.10.0';
const HEROKU_CLI_DIR = join(homedir(), '.cache', 'relay-heroku-cli');

const started: StartedProcess[] = [];
afterEach(async () => {
  for (const process_ of started.splice(0)) {
    process_.signal('SIGKILL');
    await process_.exited;
  }
});

/** The files git tracks, as in the working tree: what `git push heroku main` would send once committed. */
function copyTrackedFiles(to: string): void {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(ROOT, file))) continue;
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(to, file));
  }
}

async function expectHelloToTheEnd(port: number): Promise<void> {
  const conversation = await simulate(`ws://127.0.0.1:${port}/hello`, { answers: ['Ana'] });
  expect(conversation.says).toEqual(['What is your name?', 'Hello Ana!']);
  expect(conversation.terminated).toBe(true);
}

describe('Heroku build rehearsal (what the Node.js buildpack does, then the Procfile)', () => {
  let app: string;
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    app = mkdtempSync(join(tmpdir(), 'relay-slug-'));
    copyTrackedFiles(app);
    // The buildpack's environment: config vars (here, this machine's: registry and CA settings
    // included) plus NODE_ENV=production, with devDependencies installed for the build.
    const env = { ...process.env, PATH, NODE_ENV: 'production', npm_config_update_notifier: 'false' };
    const step = async (name: string, args: string[]) => {
      const t0 = performance.now();
      await run('npm', args, { cwd: app, env });
      timings[name] = Math.round(performance.now() - t0);
    };
    await step('npm ci', ['ci', '--include=dev', '--no-audit', '--no-fund']);
    await step('npm run build', ['run', 'build']);
    await step('npm prune', ['prune', '--omit=dev', '--no-audit', '--no-fund']);
    process.stdout.write(`rehearsal steps (ms): ${JSON.stringify(timings)}\n`);
  });

  afterAll(() => {
    if (app !== undefined) rmSync(app, { recursive: true, force: true });
  });

  it('builds dist/ and prunes devDependencies (typescript gone, runtime dependencies kept)', () => {
    expect(existsSync(join(app, 'dist', 'server.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', 'typescript'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'ws'))).toBe(true);
  });

  it("runs the Procfile's web command with only PORT set, and serves /hello to the end", async () => {
    const [web] = readProcfile(readFileSync(join(app, 'Procfile'), 'utf8')).filter((p) => p.type === 'web');
    const port = await freePort();
    const server = startProcess('sh', ['-c', `exec ${web!.command}`], { cwd: app, env: { PORT: String(port), PATH } });
    started.push(server);
    expect(await server.line(/"msg":"server listening"/)).toContain(`"port":${port}`);
    await expectHelloToTheEnd(port);
    server.signal('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
  });

  it("runs the Procfile's release command as Heroku does before a release: without credentials it says how to turn it on and exits 0", async () => {
    const [release] = readProcfile(readFileSync(join(app, 'Procfile'), 'utf8')).filter((p) => p.type === 'release');
    // A release dyno has the app's config vars (none for Relay on a fresh app) and dyno metadata.
    const env = { PATH, HEROKU_APP_DEFAULT_DOMAIN_NAME: 'demo-1234.herokuapp.com', HEROKU_RELEASE_VERSION: 'v2' };
    const phase = startProcess('sh', ['-c', `exec ${release!.command}`], { cwd: app, env });
    started.push(phase);
    expect(await phase.line(/register --release/)).toMatch(
      /^register --release: no Relay API credentials.*RELAY_API_KEY/,
    );
    expect(await phase.exited).toEqual({ code: 0, signal: null });
  });

  it('runs under the real Heroku CLI: `heroku local web` serves /hello to the end', async () => {
    const heroku = join(HEROKU_CLI_DIR, 'node_modules', '.bin', 'heroku');
    if (!existsSync(heroku)) {
      await run(
        'npm',
        ['install', '--prefix', HEROKU_CLI_DIR, '--no-audit', '--no-fund', `heroku@${HEROKU_CLI_VERSION}`],
        {
          env: { ...process.env, PATH },
        },
      );
    }
    const port = await freePort();
    // A throwaway HOME: the CLI keeps its state there, and no login is needed for `local`.
    const home = mkdtempSync(join(tmpdir(), 'relay-heroku-home-'));
    const local = startProcess(heroku, ['local', 'web', '--port', String(port)], {
      cwd: app,
      env: { PATH: `${dirname(heroku)}:${PATH}`, HOME: home },
    });
    started.push(local);
    expect(await local.line(/web\.1\s+\|.*"msg":"server listening"/)).toContain(`"port":${port}`);
    await expectHelloToTheEnd(port);
    expect(await local.line(/web\.1\s+\|.*"msg":"session closed"/)).toContain('"workflow":"hello"');
    local.signal('SIGINT');
    await local.exited;
    rmSync(home, { recursive: true, force: true });
  });
});
