import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

/**
 * The README's test pattern, `const run = await simulate(workflow, ...)` then the `expect`s, must
 * end a test run that fails: simulate() closes its throwaway server before the assertions run.
 * Each case runs a fixture test in a child jest and watches it exit (or not).
 */
const ROOT = join(__dirname, '..', '..');
const HANG_WARNING = 'did not exit one second after the test run has completed';

function runJest(fixture: string): { child: ChildProcess; output: () => string } {
  const config = {
    rootDir: ROOT,
    roots: ['<rootDir>/test/fixtures/jest-pattern'],
    testMatch: [`**/${fixture}`],
    preset: 'ts-jest',
    testEnvironment: 'node',
  };
  const child = spawn(
    process.execPath,
    [require.resolve('jest/bin/jest'), '--ci', '--config', JSON.stringify(config)],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return { child, output: () => output };
}

describe('a failing assertion after simulate(workflow)', () => {
  it('ends the jest run with a failure, without the "did not exit" warning', async () => {
    const { child, output } = runJest('simulate-fails.fixture.ts');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(output()).toContain('✕ fails an assertion after simulate() has closed its server');
    expect(output()).toContain('"Hello Bo!"');
    expect(output()).not.toContain(HANG_WARNING);
    expect(code).toBe(1);
  }, 60_000);

  it('(control) the old pattern, closing the server after the expects, leaves jest running', async () => {
    const { child, output } = runJest('server-left-open.fixture.ts');
    const exited = once(child, 'exit');
    try {
      await new Promise<void>((resolve, reject) => {
        const check = () => (output().includes(HANG_WARNING) ? resolve() : undefined);
        child.stderr?.on('data', check);
        child.once('exit', (code) =>
          reject(new Error(`jest exited (${String(code)}) without the warning:\n${output()}`)),
        );
      });
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  }, 60_000);
});
