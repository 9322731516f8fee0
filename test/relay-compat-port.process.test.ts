import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnServer, type ServerProcess } from './helpers/spawn-server';

// Relay's standalone sample calls relay({ port: 8080 }); on Heroku the dyno must still bind $PORT
// (R10 otherwise), as under 2.4.0, which listens on PORT or 8080 whatever `port` says.
const ENTRY = join(__dirname, 'fixtures', 'relay-port-app.js');

const running: ServerProcess[] = [];
afterEach(() => {
  for (const app of running.splice(0)) app.child.kill('SIGKILL');
});

/** The fixture app with exactly `env`, in an empty directory (no .env file to read). */
function start(env: Record<string, string>): ServerProcess {
  const app = spawnServer(env, { entry: ENTRY, cwd: mkdtempSync(join(tmpdir(), 'relay-port-')) });
  running.push(app);
  return app;
}

describe('relay({ port }) in its own process', () => {
  it('binds PORT when it is set, whatever port says', async () => {
    const [envPort, optionPort] = [await freePort(), await freePort()];
    const app = start({ PORT: String(envPort), RELAY_PORT_OPTION: String(optionPort) });
    expect(await app.line('server listening')).toMatchObject({ port: envPort });
    const health = await fetch(`http://127.0.0.1:${envPort}/health`);
    expect(health.status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${optionPort}/health`)).rejects.toThrow();
  });

  it('binds port when PORT is unset', async () => {
    const optionPort = await freePort();
    const app = start({ RELAY_PORT_OPTION: String(optionPort) });
    expect(await app.line('server listening')).toMatchObject({ port: optionPort });
  });
});
