import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { BUILD_DIR } from './global-setup';
import { olderNode } from './helpers/older-node';
import { startProcess } from './helpers/start-process';

// On a Node older than 22 the runtime fails deep inside with "Promise.withResolvers is not a
// function", and npm test runs for minutes of such failures: each must stop at once, saying why.
const ROOT = join(__dirname, '..');
const WANTED = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim();
const old = olderNode();
const PATH = [old.binDir, process.env.PATH ?? ''].join(delimiter);

describe(`relay() on an older Node (${old.version}${old.real ? '' : ', played'})`, () => {
  it('throws one clear error naming the Node needed and the one running, before anything fails', () => {
    const app = mkdtempSync(join(tmpdir(), 'relay-old-node-'));
    writeFileSync(
      join(app, 'app.cjs'),
      `const { relay } = require(${JSON.stringify(join(BUILD_DIR, 'index.js'))});\nrelay({ port: 0 });\n`,
    );
    const { status, stderr } = spawnSync(join(old.binDir, 'node'), ['app.cjs'], { cwd: app, encoding: 'utf8' });
    expect(status).toBe(1);
    expect(stderr).toContain(
      `NodeVersionError: relay-heroku-workflows needs Node 22.1.0 or later, and this is Node ${old.version}: install Node 24`,
    );
    expect(stderr).not.toContain('is not a function');
  });
});

/** npm's own entry script, to run with the older Node (an `npm` on PATH would pick its Node by PATH too). */
function npmCli(): string {
  const which = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  return process.env.npm_execpath ?? realpathSync(which);
}

describe(`npm test and npm run test:one on an older Node (${old.version})`, () => {
  it.each([
    [['test'], /^> npm run typecheck/],
    [['run', 'test:one', '--', 'hello'], /^> jest/],
  ])('npm %j stops before its work starts, non-zero, saying which Node to install', async (args, started) => {
    const npm = startProcess(join(old.binDir, 'node'), [npmCli(), ...args], {
      cwd: ROOT,
      env: { ...process.env, PATH, npm_config_update_notifier: 'false' },
    });
    // Without the check, the command's own work starts (and runs for minutes): stop it there.
    const outcome = await Promise.race([npm.exited, npm.line(started).then(() => 'started' as const)]);
    npm.signal('SIGKILL');
    expect({ outcome, output: npm.output() }).toMatchObject({ outcome: { code: 1 } });
    expect(npm.output()).toContain(
      `This project runs on Node ${WANTED} (.nvmrc), and this is Node ${old.version}: stopping.`,
    );
    expect(npm.output()).toContain('nvm install && nvm use');
  });
});
