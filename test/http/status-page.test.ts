import { createWorkflowServer, type WorkflowServer } from '../../src';
import { isLocalAddress, type StatusReport } from '../../src/http/status';
import * as hello from '../../src/workflows/hello';
import { memoryLogger } from '../helpers/memory-logger';
import { get } from '../helpers/get';
import { parseRelayCommand } from '../helpers/parse-relay-command';

const HEROKU = { host: 'demo-1234.herokuapp.com', 'x-forwarded-proto': 'https' };
const TOKEN = 'tok-0123456789abcdef-secret';

/** The text of each `<pre class="command">`, as a browser shows it: tags dropped, entities decoded. */
function commandsShown(html: string): string[] {
  const entities: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
  return [...html.matchAll(/<pre class="command">(.*?)<\/pre>/gs)].map((m) =>
    m[1]!.replace(/<[^>]*>/g, '').replace(/&(amp|lt|gt|quot|#39);/g, (e) => entities[e]!),
  );
}

const servers: WorkflowServer[] = [];
afterEach(() => Promise.all(servers.splice(0).map((server) => server.close(0))));

async function start(config: Parameters<typeof createWorkflowServer>[0] = {}): Promise<number> {
  const server = createWorkflowServer({ logger: memoryLogger().logger, workflows: { hello }, ...config });
  servers.push(server);
  return (await server.listen(0, '127.0.0.1')).port;
}

describe('GET / (the status page)', () => {
  it('behind Heroku, shows wss://demo-1234.herokuapp.com/hello and its relay workflow:create:phrase command', async () => {
    const port = await start();
    const page = await get(port, '/', { ...HEROKU, accept: 'text/html' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<code class="url">wss://demo-1234.herokuapp.com/hello</code>');
    expect(commandsShown(page.body)).toEqual([
      "relay workflow:create:phrase --name hello --uri wss://demo-1234.herokuapp.com/hello --trigger hello --arg greeting=Hello -i '<device id>'",
    ]);
    expect(page.body).toContain('Asks the wearer for their name and greets them.');
  });

  it('answers JSON for Accept: application/json, with a command the relay CLI accepts', async () => {
    const port = await start();
    const answer = await get(port, '/', { ...HEROKU, accept: 'application/json' });
    expect(answer.headers['content-type']).toBe('application/json');
    const report = JSON.parse(answer.body) as StatusReport;
    expect(report).toEqual({
      app: { name: 'relay-heroku-workflows', version: expect.stringMatching(/^\d+\.\d+\.\d+/) },
      status: 'ok',
      heroku: { release: null, commit: null },
      uptimeSeconds: expect.any(Number),
      sessions: 0,
      access: 'open',
      workflows: [
        {
          name: 'hello',
          url: 'wss://demo-1234.herokuapp.com/hello',
          description: 'Asks the wearer for their name and greets them.',
          trigger: { type: 'phrase', phrases: ['hello'] },
          command: expect.any(String),
          registrationState: null,
        },
      ],
      routes: [
        { path: '/', methods: ['GET', 'HEAD'] },
        { path: '/health', methods: ['GET', 'HEAD'] },
      ],
      bus: { kind: 'in-process', state: 'embedded' },
      registrations: null,
      servedFrom: 'public',
      publicHost: null,
    });
    expect(parseRelayCommand(report.workflows[0]!.command!)).toEqual({
      command: 'workflow:create:phrase',
      flags: {
        name: ['hello'],
        uri: ['wss://demo-1234.herokuapp.com/hello'],
        trigger: ['hello'],
        arg: ['greeting=Hello'],
        install: ['<device id>'],
      },
    });
  });

  it('locally, shows ws://localhost:PORT URLs', async () => {
    const port = await start();
    const report = JSON.parse(
      (await get(port, '/', { host: `localhost:${port}`, accept: 'application/json' })).body,
    ) as StatusReport;
    expect(report.workflows[0]!.url).toBe(`ws://localhost:${port}/hello`);
  });

  it.each([
    ['markup', '<script>alert(1)</script>'],
    ['a quote', 'evil.example"onmouseover="x'],
    ['a path', 'evil.example/phish'],
    ['a user part', 'user@evil.example'],
  ])('never reflects a Host header with %s: it shows localhost:PORT instead', async (_what, host) => {
    const port = await start();
    const page = await get(port, '/', { host, 'x-forwarded-proto': 'https' });
    expect(page.body).not.toContain(host);
    expect(page.body).not.toContain('evil');
    expect(page.body).toContain(`wss://localhost:${port}/hello`);
  });

  it('with WORKFLOW_TOKEN set, shows a placeholder and how to get the token, never the token', async () => {
    const port = await start({ config: { workflowToken: TOKEN } });
    const page = await get(port, '/', HEROKU);
    const json = await get(port, '/', { ...HEROKU, accept: 'application/json' });
    expect(page.body).not.toContain(TOKEN);
    expect(json.body).not.toContain(TOKEN);
    expect(page.body).toContain('wss://demo-1234.herokuapp.com/hello?token=&lt;WORKFLOW_TOKEN&gt;');
    expect(page.body).toContain('heroku config:get WORKFLOW_TOKEN');
    const report = JSON.parse(json.body) as StatusReport;
    expect(report.access).toBe('token');
    expect(parseRelayCommand(report.workflows[0]!.command!).flags.uri).toEqual([
      'wss://demo-1234.herokuapp.com/hello?token=<WORKFLOW_TOKEN>',
    ]);
  });

  it('shows the Heroku release and commit from dyno metadata', async () => {
    const port = await start({
      config: {
        herokuReleaseVersion: 'v42',
        herokuSlugCommit: '2c3a0b1d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b',
        herokuAppDomain: 'demo-1234.herokuapp.com',
      },
    });
    const page = await get(port, '/', HEROKU);
    expect(page.body).toContain('<dd>v42</dd>');
    expect(page.body).toContain('<dd>2c3a0b1d9e8f</dd>');
    expect(page.body).not.toContain('labs:enable runtime-dyno-metadata');
    const report = JSON.parse((await get(port, '/', { ...HEROKU, accept: 'application/json' })).body) as StatusReport;
    expect(report.heroku).toEqual({ release: 'v42', commit: '2c3a0b1d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b' });
  });

  it('escapes what workflows declare, and says when a workflow declares no registration', async () => {
    const workflow = () => undefined;
    const server = createWorkflowServer({ logger: memoryLogger().logger })
      .workflow('page', workflow, {
        description: '<img src=x onerror=alert(1)>',
        trigger: { type: 'phrase', phrases: ["it's <b>"] },
      })
      .workflow('bare', workflow);
    servers.push(server);
    const { port } = await server.listen(0, '127.0.0.1');
    const page = await get(port, '/', HEROKU);
    expect(page.body).not.toContain('<img');
    expect(page.body).not.toContain('<b>');
    expect(page.body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(page.body).toContain('<span class="w">--trigger &#39;it&#39;\\&#39;&#39;s &lt;b&gt;&#39;</span>');
    expect(commandsShown(page.body)[0]).toBe(
      `relay workflow:create:phrase --name page --uri wss://demo-1234.herokuapp.com/page --trigger 'it'\\''s <b>' -i '<device id>'`,
    );
    expect(page.body).toContain('This workflow declares no <code>registration</code>');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('shows open sessions and answers HEAD without a body', async () => {
    const port = await start();
    const head = await get(port, '/', HEROKU, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await get(port, '/', HEROKU)).body).toContain('<dt>Open sessions</dt><dd>0</dd>');
  });

  it('keeps /health as it was: JSON status, uptime, sessions', async () => {
    const port = await start();
    const health = await get(port, '/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({
      status: 'ok',
      uptime: expect.any(Number),
      sessions: 0,
      bus: { kind: 'in-process', state: 'embedded' },
    });
  });

  it('without API credentials, writes the commands for RELAY_INSTALL (-A here) and asks for no device id', async () => {
    const port = await start({ config: { relayInstall: { type: 'all' } } });
    const page = await get(port, '/', HEROKU);
    expect(parseRelayCommand(commandsShown(page.body)[0]!).flags).toMatchObject({ 'install-all': ['true'] });
    expect(page.body).not.toContain('&lt;device id&gt;');
    expect(page.body).not.toContain('Relay: ');
  });

  it.each([
    ['localhost', (port: number) => `localhost:${port}`],
    ['127.0.0.1', (port: number) => `127.0.0.1:${port}`],
    ['::1', (port: number) => `[::1]:${port}`],
    ['a private address', () => '192.168.1.20:8080'],
  ])('served from %s, says Relay cannot reach it (deploy, or a tunnel)', async (_what, host) => {
    const port = await start({ config: { herokuAppDomain: 'demo-1234.herokuapp.com' } });
    const page = await get(port, '/', { host: host(port) });
    expect(page.body).toContain('Relay cannot reach this address.');
    expect(page.body).toContain('tunnel');
    const report = JSON.parse((await get(port, '/', { host: host(port), accept: 'application/json' })).body);
    expect((report as StatusReport).servedFrom).toBe('local');
  });

  it('served from its public host, says nothing about reachability; with no public host configured, says to set one', async () => {
    const configured = await start({ config: { herokuAppDomain: 'demo-1234.herokuapp.com' } });
    const page = (await get(configured, '/', HEROKU)).body;
    expect(page).not.toContain('Relay cannot reach');
    expect(page).not.toContain('No public host is configured');
    const unconfigured = await start();
    expect((await get(unconfigured, '/', HEROKU)).body).toContain('No public host is configured.');
  });

  it('warns that anyone who knows a URL can open a session while WORKFLOW_TOKEN is unset, with the command that sets one', async () => {
    const open = (await get(await start(), '/', HEROKU)).body;
    expect(open).toContain('Anyone who knows a workflow URL can open a session');
    expect(open).toContain('heroku config:set WORKFLOW_TOKEN=$(openssl rand -hex 32)');
    const closed = (await get(await start({ config: { workflowToken: TOKEN } }), '/', HEROKU)).body;
    expect(closed).not.toContain('Anyone who knows a workflow URL can open a session');
  });

  it('with WORKFLOW_SECRET alone, says access is by secret and gives no open warning (nor shows the secret)', async () => {
    const secret = 'status-page-secret-0a1b2c3d';
    const port = await start({ config: { workflowSecret: secret } });
    const page = (await get(port, '/', HEROKU)).body;
    const report = JSON.parse((await get(port, '/', { ...HEROKU, accept: 'application/json' })).body) as StatusReport;
    expect(report.access).toBe('secret');
    expect(page).not.toContain('Anyone who knows a workflow URL can open a session');
    expect(page).not.toContain(secret);
    const both = await start({ config: { workflowSecret: secret, workflowToken: TOKEN } });
    const bothReport = JSON.parse(
      (await get(both, '/', { ...HEROKU, accept: 'application/json' })).body,
    ) as StatusReport;
    expect(bothReport.access).toBe('token and secret');
  });
});

describe('isLocalAddress', () => {
  it.each([
    'localhost',
    'app.localhost',
    '127.0.0.1',
    '127.8.9.1',
    '10.0.0.5',
    '172.16.3.4',
    '172.31.255.1',
    '192.168.0.1',
    '169.254.1.1',
    '100.64.0.1',
    '[::1]',
    '[fd00::1]',
    '[fe80::1]',
    '0.0.0.0',
  ])('%s is local', (host) => expect(isLocalAddress(host)).toBe(true));

  it.each([
    'demo-1234.herokuapp.com',
    'relay.example.com',
    '8.8.8.8',
    '172.32.0.1',
    '192.169.0.1',
    '[2606:4700::1111]',
    '',
  ])('%s is not', (host) => expect(isLocalAddress(host)).toBe(false));
});
