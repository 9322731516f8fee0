import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Where process-level tests find the compiled server; built fresh from src/ on every run, together
 * with the benchmark (test/bench), whose smoke test runs it.
 */
export const BUILD_ROOT = join(__dirname, '..', 'test-output', 'build');
export const BUILD_DIR = join(BUILD_ROOT, 'src');

/** Compiles src/ and test/bench/ once per test run, so tests that spawn them never run a stale build. */
export default function globalSetup(): void {
  const tsc = require.resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(__dirname, 'bench', 'tsconfig.json')], { stdio: 'inherit' });
}
