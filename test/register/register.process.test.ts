import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RelayCloud } from '../../src/testing';
import { BUILD_DIR } from '../global-setup';

const CLI = join(BUILD_DIR, 'register.js');
const TOKEN = 'PLANTED-workflow-token-0123456789';
const API_KEY = 'PLANTED-refresh-token-abcdefghijkl';
/** A directory without a .env file, so that only the environment given counts. */
const CWD = mkdtempSync(join(tmpdir(), 'register-'));

/**
 * Runs the compiled `npm run register` with exactly `env` (and PATH), logging at debug. `output`
 * is stdout and stderr together; `lines` the lines that are not JSON log lines.
 */
function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ status: number | null; output: string; stdout: string; lines: string[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: CWD,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'debug', ...env },
    });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => ((output += chunk.toString()), (stdout += chunk.toString())));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('close', (status) => {
      const lines = output.split('\n').filter((line) => line !== '' && !line.startsWith('{"level"'));
      resolve({ status, output, stdout, lines });
    });
  });
}

describe('npm run register (the compiled CLI, as a child process): exit codes', () => {
  let cloud: RelayCloud;
  let env: Record<string, string>;

  beforeEach(async () => {
    cloud = await RelayCloud.start({ apiKey: API_KEY });
    env = {
      ...cloud.env,
      HEROKU_APP_DEFAULT_DOMAIN_NAME: 'demo-1234.herokuapp.com',
      WORKFLOW_TOKEN: TOKEN,
      RELAY_INSTALL: 'all',
    };
  });

  afterEach(() => cloud.close());

  it('exits 0 after applying the plan, and 0 again with nothing to do; no secret in its output', async () => {
    const first = await runCli([], env);
    expect(first.output).toContain('create     hello at wss://demo-1234.herokuapp.com/hello?token=…');
    expect(first.output).toContain('done: 4 changes applied');
    expect(first.status).toBe(0);
    expect(cloud.registrations.all.map((row) => row.name)).toEqual(['hello', 'panic', 'broadcast', 'transport']);
    const second = await runCli(['--json'], env);
    expect(JSON.parse(second.stdout)).toEqual({
      create: [],
      update: [],
      unchanged: ['hello', 'panic', 'broadcast', 'transport'],
      delete: [],
      foreign: 0,
    });
    expect(second.status).toBe(0);
    for (const { output } of [first, second]) {
      expect(output).not.toContain(TOKEN);
      expect(output).not.toContain(API_KEY);
    }
  });

  it('exits 1 with one line naming the call, the status and Relay message when Relay fails', async () => {
    cloud.failNext({ status: 403, message: `forbidden for ${TOKEN}` });
    const { status, lines, output } = await runCli(['--dry-run'], env);
    expect(lines).toEqual([
      'register: listWorkflows failed: Relay answered HTTP 403 "forbidden for …"; the account behind RELAY_API_KEY ' +
        "may not do this: check that RELAY_SUBSCRIBER_ID is that account's subscriber id; nothing was changed",
    ]);
    expect(output).not.toContain(TOKEN);
    expect(status).toBe(1);
  });

  it.each<[string, Record<string, string | undefined>, string[], RegExp]>([
    ['no credentials', { RELAY_API_KEY: undefined, RELAY_SUBSCRIBER_ID: undefined }, [], /set RELAY_API_KEY/],
    ['no public host', { HEROKU_APP_DEFAULT_DOMAIN_NAME: undefined }, [], /set PUBLIC_URL/],
    ['a bad RELAY_INSTALL', { RELAY_INSTALL: 'group:' }, [], /configuration error: RELAY_INSTALL must be all/],
    ['a bad PUBLIC_URL', { PUBLIC_URL: 'http://x.example.com' }, [], /configuration error: PUBLIC_URL must be/],
    ['no install', { RELAY_INSTALL: undefined }, [], /no install: set RELAY_INSTALL/],
    ['an unknown flag', {}, ['--yes'], /unknown argument "--yes"/],
  ])('exits 2 with a line saying what to set: %s', async (_case, change, args, message) => {
    const changed = Object.fromEntries(
      Object.entries({ ...env, ...change }).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    const { status, output, lines } = await runCli(args, changed);
    expect(lines).toEqual([expect.stringMatching(message)]);
    expect(output).not.toContain(API_KEY);
    expect(status).toBe(2);
    expect(cloud.calls.listWorkflows).toBe(0);
  });
});
