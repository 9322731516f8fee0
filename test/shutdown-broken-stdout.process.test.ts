import { freePort, spawnServer, type ServerProcess } from './helpers/spawn-server';

/**
 * `npm start | head -2`, then SIGTERM: the reader of stdout is gone, so every log write fails
 * (EPIPE). The shutdown's own log lines must not keep the process from exiting.
 */
describe('SIGTERM with a closed stdout', () => {
  let server: ServerProcess | undefined;
  afterEach(() => server?.child.kill('SIGKILL'));

  it('still ends the process, with exit code 0, within the grace period', async () => {
    const port = await freePort();
    server = spawnServer({ PORT: String(port), SHUTDOWN_GRACE_MS: '1000' });
    await server.line('server listening');
    server.child.stdout.destroy();
    const sentAt = Date.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - sentAt).toBeLessThan(1000);
  });
});
