import { freePort, spawnServer, type ServerProcess } from '../helpers/spawn-server';
import { get } from '../helpers/get';

const running: ServerProcess[] = [];
afterEach(() => {
  for (const server of running.splice(0)) server.child.kill('SIGKILL');
});

describe('the server process with Heroku dyno metadata in its environment', () => {
  it('logs public wss:// URLs at startup and shows the release and commit on the status page', async () => {
    const port = await freePort();
    const server = spawnServer({
      PORT: String(port),
      HEROKU_APP_DEFAULT_DOMAIN_NAME: 'demo-1234-0123456789ab.herokuapp.com',
      HEROKU_RELEASE_VERSION: 'v7',
      HEROKU_SLUG_COMMIT: '0123456789abcdef0123456789abcdef01234567',
    });
    running.push(server);
    expect(await server.line('server listening')).toMatchObject({
      public: true,
      workflows: { '/hello': 'wss://demo-1234-0123456789ab.herokuapp.com/hello' },
    });
    const page = await get(port, '/', { host: 'demo-1234-0123456789ab.herokuapp.com', 'x-forwarded-proto': 'https' });
    expect(page.body).toContain('<dd>v7</dd>');
    expect(page.body).toContain('<dd>0123456789ab</dd>');
    expect(page.body).toContain('wss://demo-1234-0123456789ab.herokuapp.com/hello');
  });

  it('without it, logs local URLs and how to see the public ones', async () => {
    const port = await freePort();
    const server = spawnServer({ PORT: String(port) });
    running.push(server);
    const line = await server.line('server listening');
    expect(line).toMatchObject({ public: false, workflows: { '/hello': `ws://localhost:${port}/hello` } });
    expect(line.hint).toContain('heroku labs:enable runtime-dyno-metadata');
  });

  it('stops before listening, with one line naming the variable, on a malformed value', async () => {
    const server = spawnServer({ PORT: String(await freePort()), HEROKU_RELEASE_VERSION: 'latest' });
    running.push(server);
    expect(await server.exited).toEqual({ code: 1, signal: null });
    expect(server.stderr()).toBe(
      'configuration error: HEROKU_RELEASE_VERSION must be v followed by digits, such as v42, got "latest"\n',
    );
  });
});
