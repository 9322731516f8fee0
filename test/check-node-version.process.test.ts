import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const SCRIPT = join(ROOT, 'scripts', 'check-node-version.cjs');
const WANTED = readFileSync(join(ROOT, '.nvmrc'), 'utf8').trim();

/** Runs the check as npm start's prestart does (`node scripts/check-node-version.cjs`), in a Node that reports `version`. */
function check(version: string): { status: number | null; stderr: string } {
  const preload = join(mkdtempSync(join(tmpdir(), 'relay-node-version-')), 'fake-version.js');
  writeFileSync(preload, `Object.defineProperty(process.versions, 'node', { value: ${JSON.stringify(version)} });\n`);
  const { status, stderr } = spawnSync(process.execPath, ['--require', preload, SCRIPT], { encoding: 'utf8' });
  return { status, stderr };
}

describe('the Node version check of npm run dev and npm start', () => {
  it(`passes silently on Node ${WANTED}`, () => {
    expect(check(`${WANTED}.3.1`)).toEqual({ status: 0, stderr: '' });
  });

  it('stops on an older major, naming the version wanted and how to get it (nvm, fnm, volta)', () => {
    const { status, stderr } = check('20.11.0');
    expect(status).toBe(1);
    expect(stderr).toContain(`This project runs on Node ${WANTED} (.nvmrc), and this is Node 20.11.0: stopping.`);
    expect(stderr).toContain('nvm install && nvm use');
    expect(stderr).toContain('fnm use --install-if-missing');
    expect(stderr).toContain(`volta install node@${WANTED}`);
  });

  it('warns on a newer major and goes on', () => {
    const { status, stderr } = check(`${Number(WANTED) + 1}.0.0`);
    expect(status).toBe(0);
    expect(stderr).toContain('going on, but this is not what Heroku runs');
  });

  it('is what npm start and npm run dev run first', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.prestart).toBe('node scripts/check-node-version.cjs');
    expect(scripts.dev).toBe('node scripts/dev.cjs');
    expect(readFileSync(join(ROOT, 'scripts', 'dev.cjs'), 'utf8')).toContain(
      'if (!checkNodeVersion()) process.exit(1);',
    );
  });

  it('is what every test command runs first (npm test, test:one, test:fast...)', () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const tests = Object.keys(scripts).filter((name) => /^test(:|$)/.test(name));
    expect(tests).toEqual(expect.arrayContaining(['test', 'test:one', 'test:fast']));
    for (const name of tests)
      expect([name, scripts[`pre${name}`]]).toEqual([name, 'node scripts/check-node-version.cjs']);
  });
});
