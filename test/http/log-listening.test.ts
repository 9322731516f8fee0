import { createWorkflowServer, type Config, type WorkflowServer } from '../../src';
import * as hello from '../../src/workflows/hello';
import { memoryLogger } from '../helpers/memory-logger';

const servers: WorkflowServer[] = [];
afterEach(() => Promise.all(servers.splice(0).map((server) => server.close(0))));

async function listeningLine(config: Partial<Config>): Promise<Record<string, unknown>> {
  const logs = memoryLogger();
  const server = createWorkflowServer({ logger: logs.logger, config, workflows: { hello } });
  servers.push(server);
  await server.listen(0, '0.0.0.0');
  const line = logs.lines().find((entry) => entry.msg === 'server listening');
  if (line === undefined) throw new Error(`no "server listening" line in ${logs.text()}`);
  return line;
}

describe('the startup log line', () => {
  it('with HEROKU_APP_DEFAULT_DOMAIN_NAME, names each workflow by its public wss:// URL', async () => {
    const line = await listeningLine({ herokuAppDomain: 'demo-1234-0123456789ab.herokuapp.com' });
    expect(line).toMatchObject({
      public: true,
      workflows: { hello: 'wss://demo-1234-0123456789ab.herokuapp.com/hello' },
    });
    expect(line.hint).toBeUndefined();
  });

  it('without it, names the local URLs and says how to see the public ones', async () => {
    const line = await listeningLine({});
    expect(line).toMatchObject({ public: false, workflows: { hello: `ws://localhost:${line.port as number}/hello` } });
    expect(line.hint).toContain('heroku labs:enable runtime-dyno-metadata');
  });

  it('with a token, shows a placeholder in the URLs, never the token', async () => {
    const token = 'tok-0123456789abcdef-secret';
    const line = await listeningLine({ herokuAppDomain: 'demo.herokuapp.com', workflowToken: token });
    expect(line).toMatchObject({
      access: 'token',
      workflows: { hello: 'wss://demo.herokuapp.com/hello?token=<WORKFLOW_TOKEN>' },
    });
    expect(JSON.stringify(line)).not.toContain(token);
  });
});
