import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Where process-level tests find the compiled server; built fresh from src/ on every run. */
export const BUILD_DIR = join(__dirname, '..', 'test-output', 'dist');

/** Compiles src/ once per test run, so tests that spawn the real entry never run a stale build. */
export default function globalSetup(): void {
  const tsc = require.resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(__dirname, '..', 'src', 'tsconfig.json'), '--outDir', BUILD_DIR], {
    stdio: 'inherit',
  });
}
