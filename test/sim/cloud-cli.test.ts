import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createWorkflowServer, RelayApi, type WorkflowServer } from '../../src';
import { parseCloudArgs } from '../../src/sim/parse-cloud-args';
import hello from '../../src/workflows/hello';
import { BUILD_DIR } from '../global-setup';
import { memoryLogger } from '../helpers/memory-logger';

const CLI = join(BUILD_DIR, 'sim', 'cli.js');

/** Resolves with all stdout so far once it matches `pattern`; rejects if the process exits first. */
function outputUntil(child: ChildProcessWithoutNullStreams, read: () => string, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!pattern.test(read())) return;
      child.stdout.off('data', check);
      child.off('exit', exited);
      resolve(read());
    };
    const exited = () => reject(new Error(`the CLI exited before printing ${String(pattern)}; it printed: ${read()}`));
    child.stdout.on('data', check);
    child.once('exit', exited);
    check();
  });
}

describe('npm run sim -- cloud (the compiled CLI, as a child process)', () => {
  let server: WorkflowServer;
  let port: number;

  beforeAll(async () => {
    server = createWorkflowServer({ logger: memoryLogger().logger, workflows: { hello } });
    ({ port } = await server.listen(0, '127.0.0.1'));
  });

  afterAll(() => server.close(0));

  it('prints the variables for the app; a trigger through them runs the workflow; SIGTERM stops it with 0', async () => {
    const child = spawn(
      process.execPath,
      [
        CLI,
        'cloud',
        '--register',
        `wf_hello=ws://127.0.0.1:${port}/hello`,
        '--answer',
        'Ana',
        '--api-key',
        'cli-test-refresh-token',
      ],
      {
        env: { PATH: process.env.PATH ?? '' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const banner = await outputUntil(child, () => stdout, /export RELAY_SUBSCRIBER_ID=.+\n/);
      const value = (name: string) => new RegExp(`export ${name}=(\\S+)`).exec(banner)?.[1] ?? '';
      expect(value('RELAY_API_KEY')).toBe('cli-test-refresh-token');
      expect(value('RELAY_API_URL')).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(banner).toContain(`Registered wf_hello -> ws://127.0.0.1:${port}/hello`);
      const api = new RelayApi({
        apiKey: value('RELAY_API_KEY'),
        subscriberId: value('RELAY_SUBSCRIBER_ID'),
        apiUrl: value('RELAY_API_URL'),
        authUrl: value('RELAY_AUTH_URL'),
      });
      await api.triggerWorkflow('wf_hello', undefined, { from: 'cli test' });
      const shown = await outputUntil(child, () => stdout, /session on \S+ ended: terminated/);
      expect(shown).toContain('[wf_hello] says: What is your name?');
      expect(shown).toContain('[wf_hello] says: Hello Ana!');
      expect(shown).toContain('[cloud] POST /ibot/workflow/wf_hello -> 200');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toContain('Relay cloud simulator stopped');
      expect(stderr).toBe('');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('exits 1 with a pointer to --help when no workflow is registered', async () => {
    const child = spawn(process.execPath, [CLI, 'cloud'], { env: { PATH: process.env.PATH ?? '' } });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (status) => resolve(status)));
    expect(code).toBe(1);
    expect(stderr).toBe(
      'sim cloud: register at least one workflow: --register wf_broadcast=ws://localhost:8080/broadcast (see npm run sim -- cloud --help)\n',
    );
  });
});

describe('parseCloudArgs', () => {
  it('reads every flag', () => {
    expect(
      parseCloudArgs([
        '--register',
        'wf_a=ws://h:1/a',
        '--register',
        'wf_b=wss://x.test/b',
        '--port',
        '4100',
        '--host',
        '0.0.0.0',
        '--api-key',
        'k',
        '--subscriber-id',
        's',
        '--answer',
        'yes',
        '--group',
        'Floor 2=Bob,Carol',
        '--group',
        'Empty=',
      ]),
    ).toEqual({
      kind: 'run',
      options: {
        port: 4100,
        host: '0.0.0.0',
        workflows: new Map([
          ['wf_a', 'ws://h:1/a'],
          ['wf_b', 'wss://x.test/b'],
        ]),
        apiKey: 'k',
        subscriberId: 's',
        answers: ['yes'],
        groups: { 'Floor 2': ['Bob', 'Carol'], Empty: [] },
      },
    });
  });

  it.each([
    [['--register', 'wf_a'], '--register takes <workflow id>=<ws:// or wss:// URL>, got "wf_a"'],
    [['--register', 'wf_a=http://h/a'], '--register takes <workflow id>=<ws:// or wss:// URL>, got "wf_a=http://h/a"'],
    [
      ['--register', 'wf_a=ws://h/a', '--port', '70000'],
      '--port must be a port number (0 for a free one), got "70000"',
    ],
    [['--nope'], "Unknown option '--nope'"],
    [['--register', 'wf_a=ws://h/a', '--group', 'Bob,Carol'], '--group takes key=value, got "Bob,Carol"'],
  ])('refuses %j', (argv, message) => {
    expect(parseCloudArgs(argv)).toEqual({ kind: 'error', message: expect.stringContaining(message) });
  });

  it('answers --help', () => {
    expect(parseCloudArgs(['-h'])).toEqual({ kind: 'help' });
  });
});
