import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './free-port';
import { join } from 'node:path';

export interface SdkServer {
  port: number;
  stop(): Promise<void>;
}

/**
 * Runs `script` (plain JavaScript that calls `relay()` from `@relaypro/sdk` 2.4.0) in a child
 * process with PORT set, because 2.4.0's server is a module-global singleton that reads PORT at
 * load and never closes. Resolves once it logs that it listens; the rest of its stdout (every
 * frame, by design of 2.4.0) is discarded. `stop` kills it.
 */
export async function spawnSdkServer(script: string): Promise<SdkServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['-e', script], {
    cwd: join(__dirname, '..', '..'),
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (!seen.includes('Relay SDK WebSocket Server listening')) return;
      child.stdout?.off('data', onData);
      child.stdout?.resume();
      resolve();
    };
    child.stdout?.on('data', onData);
    void exited.then(() => reject(new Error(`the 2.4.0 server exited before listening: ${errors}`)));
  });
  return {
    port,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
