import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkflow, createWorkflowServer, Event, RelayApi, type WorkflowServer } from '../../src';
import broadcast from '../../src/workflows/broadcast';
import hello from '../../src/workflows/hello';
import { BUILD_DIR } from '../global-setup';
import { freePort } from '../helpers/free-port';
import { memoryLogger } from '../helpers/memory-logger';

const CLI = join(BUILD_DIR, 'bin', 'sim.js');

/** Runs the compiled CLI as `npm run sim` does, with `input` piped to its stdin. */
function runCli(
  args: string[],
  input: string,
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

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

/** Says which button press it got, then terminates. */
const buttons = createWorkflow((workflow) => {
  workflow.on(Event.START, async ({ trigger }) => {
    await workflow.startInteraction([trigger.args.source_uri], 'buttons');
  });
  workflow.on(Event.BUTTON, async ({ taps, source_uri }) => {
    await workflow.sayAndWait(source_uri, `you pressed ${taps}`);
    await workflow.terminate();
  });
});

describe('npm run sim (the compiled CLI, as a child process)', () => {
  let server: WorkflowServer;
  let port: number;

  beforeAll(async () => {
    const broken = createWorkflow(() => {
      throw new Error('broken on purpose');
    });
    server = createWorkflowServer({ config: { logLevel: 'silent' }, workflows: { hello, buttons, broken, broadcast } });
    ({ port } = await server.listen(0, '127.0.0.1'));
  });

  afterAll(() => server.close(0));

  it('plays hello with a piped answer: shows the question and the greeting, exits 0', async () => {
    const { status, stdout } = await runCli(['hello'], 'Ana\n', { PORT: String(port) });
    expect(stdout).toContain('says: What is your name?');
    expect(stdout).toContain('says: Hello Ana!');
    expect(stdout).toContain('[Sim] workflow terminated');
    expect(status).toBe(0);
  });

  it('reads --arg as the registration arg getVar reads, as relay workflow:create --arg does', async () => {
    const { status, stdout } = await runCli(['hello', '--arg', 'greeting=Hi', '--port', String(port)], 'Ana\n');
    expect(stdout).toContain('says: Hi Ana!');
    expect(status).toBe(0);
  });

  it('says why a workflow ended without saying anything: the registration args it read and was not given', async () => {
    const { status, stdout } = await runCli(['broadcast', '--port', String(port)], '');
    expect(stdout).toContain('[Sim] workflow terminated');
    expect(stdout).toContain(
      '(the workflow ended without saying anything; it read registration args it was not given: group, message, timeout_secs (give them with --arg name=value',
    );
    expect(status).toBe(0);
  });

  it('takes --url, --device and --transcript, and presses the button with /double', async () => {
    const url = `ws://127.0.0.1:${port}/buttons`;
    const { status, stdout } = await runCli(['--url', url, '--device', 'Bo', '--transcript'], '/double\n');
    expect(stdout).toContain('[Bo] double press on the action button');
    expect(stdout).toContain('[Bo] says: you pressed double');
    expect(stdout).toContain('relay → workflow');
    expect(stdout).toContain('"_type":"wf_api_button_event"');
    expect(status).toBe(0);
  });

  it('exits 1 with a one-line message when no server listens', async () => {
    const { status, stderr } = await runCli(['hello'], '', { PORT: String(await freePort()) });
    expect(stderr).toMatch(/^sim: cannot connect to ws:\/\/localhost:\d+\/hello: nothing is listening/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(status).toBe(1);
  });

  it('exits 1 saying 404 for an unknown workflow path', async () => {
    const { status, stderr } = await runCli(['nope', '--port', String(port)], '');
    expect(stderr).toContain('no workflow at /nope (HTTP 404)');
    expect(status).toBe(1);
  });

  it('exits 1 when the workflow fails and closes the connection', async () => {
    const { status, stderr } = await runCli(['broken', '--port', String(port)], '');
    expect(stderr).toContain('the workflow closed the connection without terminating (code 1011');
    expect(status).toBe(1);
  });

  it('exits 1 when the workflow listens after the piped answers have run out', async () => {
    const { status, stderr } = await runCli(['hello', '--port', String(port)], '');
    expect(stderr).toContain('the workflow is listening but the input has ended');
    expect(status).toBe(1);
  });

  it('prints usage with --help and rejects bad flags', async () => {
    expect((await runCli(['--help'], '')).stdout).toContain('/tap  /double  /triple  /long');
    const bad = await runCli(['hello', '--trigger', 'psychic'], '');
    expect(bad.stderr).toContain('--trigger must be one of');
    expect(bad.status).toBe(1);
  });
});

/** Runs the compiled `npm run register` with exactly `env` (and PATH), from a directory without a .env file. */
function runRegisterCli(env: Record<string, string>): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(BUILD_DIR, 'register.js')], {
      cwd: mkdtempSync(join(tmpdir(), 'sim-register-')),
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('close', (status) => resolve({ status, output }));
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
      const banner = await outputUntil(child, () => stdout, /use instead:\n {2}export RELAY_API_KEY=.+\n/);
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
      const oidcKey = /use instead:\n {2}export RELAY_API_KEY=(\S+)/.exec(banner)?.[1] ?? '';
      expect(oidcKey.split('.')).toHaveLength(3);
      const oidc = new RelayApi({
        apiKey: oidcKey,
        subscriberId: value('RELAY_SUBSCRIBER_ID'),
        apiUrl: value('RELAY_API_URL'),
        authUrl: value('RELAY_AUTH_URL'),
      });
      await expect(oidc.fetchDevice('990007560012345')).resolves.toMatchObject({ device_id: '990007560012345' });
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

  it('the laptop loop: npm run register against it, then a phrase typed at its prompt starts the workflow and the next lines converse', async () => {
    const token = 'PLANTED-workflow-token-0123456789';
    const app = createWorkflowServer({ config: { logLevel: 'silent', workflowToken: token }, workflows: { hello } });
    const { port: appPort } = await app.listen(0, '127.0.0.1');
    const child = spawn(process.execPath, [CLI, 'cloud'], { env: { PATH: process.env.PATH ?? '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const banner = await outputUntil(child, () => stdout, /registers the app's workflows here; then type a phrase/);
      const env: Record<string, string> = Object.fromEntries(
        [...banner.matchAll(/^ {2}export (RELAY_\w+)=(\S+)$/gm)]
          .slice(0, 4)
          .map((match): [string, string] => [match[1] ?? '', match[2] ?? '']),
      );
      expect(Object.keys(env).sort()).toEqual([
        'RELAY_API_KEY',
        'RELAY_API_URL',
        'RELAY_AUTH_URL',
        'RELAY_SUBSCRIBER_ID',
      ]);
      const register = await runRegisterCli({
        ...env,
        PUBLIC_URL: `https://127.0.0.1:${appPort}`,
        RELAY_INSTALL: 'all',
        WORKFLOW_TOKEN: token,
      });
      expect(register.output).toContain('created hello (wf_hello_');
      expect(register.status).toBe(0);

      child.stdin.write('Hello!\n');
      const asked = await outputUntil(child, () => stdout, /says: What is your name\?/);
      expect(asked).toContain('you say: Hello!');
      expect(asked).toMatch(
        new RegExp(
          `connected to wf_hello_\\S+ at ws://127\\.0\\.0\\.1:${appPort}/hello\\?token=… \\(phrase "hello"\\)`,
        ),
      );
      child.stdin.write('Ana\n');
      const greeted = await outputUntil(child, () => stdout, /session on 990007560012345 ended: terminated/);
      expect(greeted).toContain('[Sim] says: Hello Ana!');
      child.stdin.write('good bye\n/quit\n');
      expect(await exited).toBe(0);
      // One line naming the phrases installed on the device (the app's samples: hello's first).
      expect(stderr).toMatch(
        /^sim: no registration installed on device Sim \(990007560012345\) answers "good bye"; its phrases: "hello", [^\n]+\n$/,
      );
      expect(stdout).toContain('Relay cloud simulator stopped');
      expect(stdout + stderr + register.output).not.toContain(token);
    } finally {
      child.kill('SIGKILL');
      await app.close(0);
    }
  });
});
