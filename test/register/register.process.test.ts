import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RelayCloud } from '../../src/testing';
import { BUILD_DIR } from '../global-setup';

const CLI = join(BUILD_DIR, 'register.js');
const TOKEN = 'PLANTED-workflow-token-0123456789';
const API_KEY = 'PLANTED-refresh-token-abcdefghijkl';
const SECRET = 'PLANTED-workflow-secret-0123456789';
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

/** A simulated cloud, and the env of an app at demo-1234.herokuapp.com that registers there. */
async function startCloud(): Promise<{ cloud: RelayCloud; env: Record<string, string> }> {
  const cloud = await RelayCloud.start({ apiKey: API_KEY });
  const env = {
    ...cloud.env,
    HEROKU_APP_DEFAULT_DOMAIN_NAME: 'demo-1234.herokuapp.com',
    WORKFLOW_TOKEN: TOKEN,
    WORKFLOW_SECRET: SECRET,
    RELAY_INSTALL: 'all',
  };
  return { cloud, env };
}

describe('npm run register (the compiled CLI, as a child process): exit codes', () => {
  let cloud: RelayCloud;
  let env: Record<string, string>;

  beforeEach(async () => {
    ({ cloud, env } = await startCloud());
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
      expect(output).not.toContain(SECRET);
    }
    expect(cloud.registrations.all.every((row) => JSON.stringify(row.config).includes(SECRET))).toBe(true);
  });

  it('exits 1 with one line naming the call, the status and Relay message when Relay fails', async () => {
    cloud.failNext({ status: 403, message: `forbidden for ${TOKEN}` });
    const { status, lines, output } = await runCli(['--dry-run'], env);
    expect(lines).toEqual([
      'register: listWorkflows failed: Relay answered HTTP 403 "forbidden for …"; the account behind RELAY_API_KEY ' +
        "may not do this: check that RELAY_SUBSCRIBER_ID is that account's subscriber id; nothing was changed",
    ]);
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain(SECRET);
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

describe("register --release (the Procfile's release phase, as Heroku runs it with the app's config)", () => {
  let cloud: RelayCloud;
  let env: Record<string, string>;
  /** Every request the simulated cloud received, whatever the endpoint. */
  const requests = () => Object.values(cloud.calls).reduce((sum, count) => sum + count, 0);

  beforeEach(async () => {
    ({ cloud, env } = await startCloud());
  });

  afterEach(() => cloud.close());

  /** `env` without the given variables. */
  const without = (...names: string[]) =>
    Object.fromEntries(Object.entries(env).filter(([name]) => !names.includes(name)));

  it('without credentials prints one line saying how to turn it on and exits 0, calling nobody', async () => {
    const { status, lines, output } = await runCli(['--release'], without('RELAY_API_KEY', 'RELAY_SUBSCRIBER_ID'));
    expect(lines).toEqual([
      'register --release: no Relay API credentials, so registrations were left alone; set RELAY_API_KEY and ' +
        'RELAY_SUBSCRIBER_ID (and RELAY_INSTALL) to register the workflows on every deploy',
    ]);
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain(SECRET);
    expect(status).toBe(0);
    expect(requests()).toBe(0);
  });

  it('applies the plan and exits 0, as the plain command does', async () => {
    const { status, output } = await runCli(['--release'], env);
    expect(output).toContain('done: 4 changes applied');
    expect(status).toBe(0);
    expect(cloud.registrations.all.map((row) => row.name)).toEqual(['hello', 'panic', 'broadcast', 'transport']);
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain(API_KEY);
  });

  it('with RELAY_REGISTER_ON_RELEASE=off prints one line and exits 0 without a request to Relay', async () => {
    const { status, lines } = await runCli(['--release'], { ...env, RELAY_REGISTER_ON_RELEASE: 'off' });
    expect(lines).toEqual([
      'register --release: RELAY_REGISTER_ON_RELEASE=off, so Relay was not called; heroku run npm run register registers by hand',
    ]);
    expect(status).toBe(0);
    expect(requests()).toBe(0);
  });

  it('by default fails the release when Relay fails: exit 1, the failure and what it means for the release', async () => {
    cloud.failNext({ status: 403, message: `forbidden for ${TOKEN}` });
    const { status, lines, output } = await runCli(['--release'], env);
    expect(lines).toEqual([
      expect.stringMatching(/^register: listWorkflows failed: Relay answered HTTP 403 "forbidden for …"/),
      'register: the release fails and Heroku keeps the previous one running: fix the above and deploy again ' +
        '(heroku releases:retry), or set RELAY_REGISTER_ON_RELEASE=warn to let releases go live anyway',
    ]);
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain(SECRET);
    expect(status).toBe(1);
  });

  it('with RELAY_REGISTER_ON_RELEASE=warn logs the failure and exits 0', async () => {
    cloud.failNext({ status: 403, message: 'forbidden' });
    const { status, lines } = await runCli(['--release'], { ...env, RELAY_REGISTER_ON_RELEASE: 'warn' });
    expect(lines).toEqual([
      expect.stringMatching(/^register: listWorkflows failed: Relay answered HTTP 403 "forbidden"/),
      'register: RELAY_REGISTER_ON_RELEASE=warn: the release goes live anyway; Relay may differ from the code until a register run succeeds',
    ]);
    expect(status).toBe(0);
  });

  it('with credentials but no public host fails the release (exit 2) naming runtime-dyno-metadata and PUBLIC_URL; warn lets it go on', async () => {
    const failed = await runCli(['--release'], without('HEROKU_APP_DEFAULT_DOMAIN_NAME'));
    expect(failed.lines).toEqual([
      expect.stringMatching(/set PUBLIC_URL .*heroku labs:enable runtime-dyno-metadata/),
      expect.stringMatching(/^register: the release fails and Heroku keeps the previous one running/),
    ]);
    expect(failed.status).toBe(2);
    const warned = await runCli(['--release'], {
      ...without('HEROKU_APP_DEFAULT_DOMAIN_NAME'),
      RELAY_REGISTER_ON_RELEASE: 'warn',
    });
    expect(warned.lines[1]).toMatch(/RELAY_REGISTER_ON_RELEASE=warn: the release goes live anyway/);
    expect(warned.status).toBe(0);
    expect(requests()).toBe(0);
  });

  it('a bad RELAY_REGISTER_ON_RELEASE fails the release with exit 2 and a line naming it', async () => {
    const { status, lines } = await runCli(['--release'], { ...env, RELAY_REGISTER_ON_RELEASE: 'never' });
    expect(lines).toEqual([
      'register: configuration error: RELAY_REGISTER_ON_RELEASE must be one of fail, warn, off, got "never"',
    ]);
    expect(status).toBe(2);
  });
});
