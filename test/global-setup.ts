import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where process-level tests find the compiled server: built from src/ together with the benchmark
 * (test/bench), whose smoke test runs it.
 */
export const BUILD_ROOT = join(__dirname, '..', 'test-output', 'build');
export const BUILD_DIR = join(BUILD_ROOT, 'src');

const ROOT = join(__dirname, '..');
/** Written after each build, dated when that build started: the build is fresh while no input is newer. */
const STAMP = join(BUILD_ROOT, '.build-stamp');
/** What the build reads: a change to any of them (a file edited, added or deleted) means a rebuild. */
const INPUTS = ['src', join('test', 'bench'), 'tsconfig.json', 'package-lock.json'].map((path) => join(ROOT, path));

/**
 * Compiles src/ and test/bench/ when they changed since the last test run, so tests that spawn
 * them never run a stale build, and a run of one test file costs about what jest itself does.
 * The compile is incremental (test/bench/tsconfig.json keeps its build info next to the output).
 */
export default function globalSetup(): void {
  if (isFresh()) return;
  const startedAt = new Date();
  const tsc = require.resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(__dirname, 'bench', 'tsconfig.json')], { stdio: 'inherit' });
  writeFileSync(STAMP, 'built from src/ and test/bench/; see test/global-setup.ts\n');
  utimesSync(STAMP, startedAt, startedAt);
}

function isFresh(): boolean {
  if (!existsSync(STAMP) || !existsSync(join(BUILD_DIR, 'server.js'))) return false;
  const builtAt = statSync(STAMP).mtimeMs;
  return INPUTS.every((path) => newestChange(path) <= builtAt);
}

/** The latest modification time under `path`; a directory's own time changes when an entry is added or removed. */
function newestChange(path: string): number {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestChange(join(path, entry)));
  return newest;
}
