import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { BUILD_DIR } from '../global-setup';

export { freePort } from './free-port';

/** The real entry (what the Procfile runs), compiled from src/ by the test run's global setup. */
export const SERVER_ENTRY = join(BUILD_DIR, 'server.js');

export interface ServerProcess {
  child: ChildProcessWithoutNullStreams;
  /** Every JSON line the process wrote to stdout so far. */
  lines: Array<Record<string, unknown>>;
  /** Everything written to stderr so far. */
  stderr: () => string;
  /** Resolves with the first stdout line (already written or still to come) with this `msg`. */
  line: (msg: string) => Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  cwd?: string;
  /** The script to run; the compiled real entry by default. */
  entry?: string;
  /** Flags for node itself, such as `--expose-gc`. */
  nodeArgs?: string[];
}

/**
 * Starts the compiled server (or another entry) with exactly `env` (plus PATH). An IPC channel
 * is open for fixtures that answer questions from the test.
 */
export function spawnServer(
  env: Record<string, string>,
  { cwd = process.cwd(), entry = SERVER_ENTRY, nodeArgs = [] }: SpawnOptions = {},
): ServerProcess {
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    env: { PATH: process.env.PATH ?? '', ...env },
    cwd,
    stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
  }) as ChildProcessWithoutNullStreams;
  const lines: Array<Record<string, unknown>> = [];
  const waiting: Array<{ msg: string; resolve: (line: Record<string, unknown>) => void }> = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as Record<string, unknown>;
    lines.push(line);
    for (const wait of waiting.filter((w) => w.msg === line.msg)) {
      waiting.splice(waiting.indexOf(wait), 1);
      wait.resolve(line);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    lines,
    stderr: () => stderr,
    exited,
    line: (msg) => {
      const seen = lines.find((line) => line.msg === msg);
      return seen !== undefined ? Promise.resolve(seen) : new Promise((resolve) => waiting.push({ msg, resolve }));
    },
  };
}
