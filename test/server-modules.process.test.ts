import { once } from 'node:events';
import { join, sep } from 'node:path';
import { BUILD_DIR } from './global-setup';
import { freePort, spawnServer, type ServerProcess } from './helpers/spawn-server';

/** A running server never loads the simulator: workflows import the runtime seam, which leaves it out. */
describe('the modules a started server has loaded', () => {
  let server: ServerProcess | undefined;
  afterEach(() => server?.child.kill('SIGKILL'));

  it('include the workflows and the runtime, and nothing under sim/, nor node-redis without REDIS_URL', async () => {
    const port = await freePort();
    server = spawnServer(
      { PORT: String(port) },
      { nodeArgs: ['--require', join(__dirname, 'fixtures', 'report-loaded-modules.js')] },
    );
    await server.line('server listening');
    server.child.send('modules?');
    const [reply] = (await once(server.child, 'message')) as [{ modules: string[] }];
    expect(reply.modules.filter((file) => file.includes(`${sep}node_modules${sep}@redis${sep}`))).toEqual([]);
    const ours = reply.modules
      .filter((file) => file.startsWith(BUILD_DIR + sep))
      .map((file) => file.slice(BUILD_DIR.length + 1));
    expect(ours).toEqual(
      expect.arrayContaining([
        'server.js',
        'index.js',
        join('workflows', 'hello.js'),
        join('relay', 'websocket-host.js'),
      ]),
    );
    expect(ours.filter((file) => file.startsWith(`sim${sep}`) || file === 'testing.js')).toEqual([]);
  });
});
