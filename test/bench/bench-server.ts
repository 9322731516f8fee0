import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { freePort } from '../helpers/free-port';

/** The two servers compared: this project's, and the bare @relaypro/sdk 2.4.0 `relay()` server. */
export type ServerKind = 'project' | 'sdk';
export const SERVER_KINDS: readonly ServerKind[] = ['project', 'sdk'];

export interface BenchServerOptions {
  kind: ServerKind;
  /** The script node runs: dist/server.js for the project, sdk-hello.js for the SDK. */
  entry: string;
  /** Node options before the entry (the project's come from its Procfile). */
  nodeArgs: string[];
  cwd: string;
  /** MAX_SESSIONS for the project's server (2.4.0 has no limit). */
  maxSessions: number;
  /** More environment for the project's server (REDIS_URL, WEBHOOK_SECRET for the bus bench). */
  env?: Record<string, string>;
  /** The workflow `url` points at (default `hello`). */
  workflow?: string;
}

/** A server child process whose stdout and stderr go to pipes that are drained (and counted) as they fill. */
export interface BenchServer {
  kind: ServerKind;
  pid: number;
  url: string;
  /** performance.now() just before the spawn. */
  spawnedAt: number;
  /** The server's plain-HTTP base, `http://127.0.0.1:<port>`. */
  base: string;
  /** Bytes and lines written to stdout + stderr so far. */
  output: { bytes: number; lines: number };
  /** Throws, with the end of its stderr, if the process has exited. */
  assertRunning(): void;
  stop(): Promise<void>;
}

/**
 * Starts one server as on Heroku: `node [options] <entry>` with PORT, NODE_ENV=production, default logging,
 * stdout to a pipe. Only loopback is ever used to reach it.
 */
export async function startBenchServer({
  kind,
  entry,
  nodeArgs,
  cwd,
  maxSessions,
  env: extra = {},
  workflow = 'hello',
}: BenchServerOptions): Promise<BenchServer> {
  const port = await freePort();
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', NODE_ENV: 'production', PORT: String(port) };
  // Set explicitly, so that a developer's .env cannot change what is measured.
  if (kind === 'project') Object.assign(env, { LOG_LEVEL: 'info', MAX_SESSIONS: String(maxSessions) }, extra);
  const spawnedAt = performance.now();
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, entry], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { bytes: 0, lines: 0 };
  const count = (chunk: Buffer) => {
    output.bytes += chunk.length;
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) output.lines += 1;
  };
  let stderrTail = '';
  child.stdout?.on('data', count);
  child.stderr?.on('data', (chunk: Buffer) => {
    count(chunk);
    stderrTail = (stderrTail + chunk.toString()).slice(-2_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.pid === undefined) throw new Error(`could not start ${kind} server (${entry})`);
  return {
    kind,
    pid: child.pid,
    url: `ws://127.0.0.1:${port}/${workflow}`,
    base: `http://127.0.0.1:${port}`,
    spawnedAt,
    output,
    assertRunning: () => {
      if (child.exitCode === null && child.signalCode === null) return;
      throw new Error(
        `the ${kind} server exited (${child.exitCode ?? child.signalCode}); its stderr ended with:\n${stderrTail}`,
      );
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
