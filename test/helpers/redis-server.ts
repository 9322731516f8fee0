import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { freePort } from './free-port';

/** Debian's redis-server (`apt-get install redis-server`), or the first one on PATH. */
export const REDIS_SERVER = existsSync('/usr/bin/redis-server')
  ? '/usr/bin/redis-server'
  : spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim() || undefined;

/** What to print when Redis tests cannot run here. */
export const REDIS_MISSING =
  'Redis tests skipped: no redis-server on this machine. Install it (sudo apt-get install redis-server, or brew install redis) ' +
  'and run npm test again; with CI=true a missing redis-server fails the run.';

/* eslint-disable no-console -- the skip must be seen in the test output, with how to run these tests */
/**
 * Whether the Redis tests run: yes with a redis-server; without one they are skipped with a printed
 * line, except under CI=true, where a missing redis-server is a failure (CI must test Redis).
 */
export function redisTestsRun(options: { server?: string; ci?: string; print?: (line: string) => void } = {}): boolean {
  // `in`, not defaults: a test passes `server: undefined` to play a machine without one.
  const server = 'server' in options ? options.server : REDIS_SERVER;
  const ci = 'ci' in options ? options.ci : process.env.CI;
  const print = options.print ?? ((line: string) => console.log(line));
  if (server !== undefined) return true;
  if (ci === 'true') throw new Error(`CI=true but ${REDIS_MISSING}`);
  print(REDIS_MISSING);
  return false;
}
/* eslint-enable no-console */

export interface PrivateRedis {
  port: number;
  url: string;
  /** Kills the server at once (SIGKILL, as a crash or network loss); resolves when it exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port; resolves when it accepts connections. */
  restart(): Promise<void>;
  /** Stops it for good. */
  stop(): Promise<void>;
}

/**
 * A throwaway redis-server on a free port of 127.0.0.1, without persistence, for one test file.
 * Resolves once it logs that it accepts connections (no sleeps).
 */
export async function startRedis({ password }: { password?: string } = {}): Promise<PrivateRedis> {
  if (REDIS_SERVER === undefined) throw new Error(REDIS_MISSING);
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--loglevel',
    'notice',
  ];
  if (password !== undefined) args.push('--requirepass', password);
  let child = await launch(REDIS_SERVER, args);
  const auth = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
  const stopChild = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  return {
    port,
    url: `redis://${auth}127.0.0.1:${port}`,
    kill: stopChild,
    restart: async () => {
      await stopChild();
      child = await launch(REDIS_SERVER, args);
    },
    stop: stopChild,
  };
}

function launch(command: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      output += `${line}\n`;
      if (/Ready to accept connections/.test(line)) {
        lines.close();
        child.stdout.resume();
        resolve(child);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`redis-server exited with ${code} before it was ready:\n${output.slice(-2000)}`)),
    );
  });
}
