import { RelayApi, type Config, type Registration, type WorkflowModule, type WorkflowRowInput } from '../../src';
import { DEFAULT_CONFIG } from '../../src/config';
import { runRegister } from '../../src/register';
import { RelayCloud } from '../../src/testing';
import { memoryLogger } from '../helpers/memory-logger';

const HOST = 'demo-1234.herokuapp.com';
const TOKEN = 'PLANTED-workflow-token-0123456789';
const API_KEY = 'PLANTED-refresh-token-abcdefghijkl';
const SECRET = 'PLANTED-workflow-secret-0123456789';
const ROTATED = 'PLANTED-rotated-secret-9876543210';
const noop = () => undefined;

const hello: WorkflowModule = {
  default: noop,
  registration: {
    description: 'd',
    trigger: { type: 'phrase', phrases: ['Hello', 'hi'] },
    args: { greeting: 'Hello' },
  },
};
const panic: WorkflowModule = {
  default: noop,
  registration: {
    description: 'd',
    trigger: { type: 'button', taps: 'double' },
    args: { escalate_after_secs: 60, loud: true },
    transient: false,
  },
};

interface Run {
  code: number;
  out: string[];
  err: string[];
}

describe('npm run register against the simulated cloud', () => {
  let cloud: RelayCloud;
  let logs: ReturnType<typeof memoryLogger>;

  beforeEach(async () => {
    // Rows come back with config as a JSON string, as Relay may send them.
    cloud = await RelayCloud.start({ apiKey: API_KEY, workflowConfigAsString: true });
    logs = memoryLogger('debug');
  });

  afterEach(() => cloud.close());

  function config(overrides: Partial<Config> = {}): Config {
    return {
      ...DEFAULT_CONFIG,
      logLevel: 'silent',
      relayApiKey: cloud.apiKey,
      relaySubscriberId: cloud.subscriberId,
      relayApiUrl: cloud.url,
      relayAuthUrl: cloud.url,
      relayClientId: cloud.clientId,
      herokuAppDomain: HOST,
      workflowToken: TOKEN,
      workflowSecret: SECRET,
      relayInstall: { type: 'all' },
      ...overrides,
    };
  }

  async function register(
    argv: string[] = [],
    {
      workflows = { hello, panic },
      settings = config(),
      onLine = noop,
    }: {
      workflows?: Record<string, WorkflowModule>;
      settings?: Config;
      onLine?: (line: string) => void;
    } = {},
  ): Promise<Run> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runRegister({
      argv,
      workflows,
      config: settings,
      logger: logs.logger,
      api: { sleep: () => Promise.resolve() },
      out: (line) => {
        out.push(line);
        onLine(line);
      },
      err: (line) => err.push(line),
    });
    for (const text of [...out, ...err, logs.text()]) {
      for (const secret of [TOKEN, API_KEY, SECRET, ROTATED]) expect(text).not.toContain(secret);
    }
    return { code, out, err };
  }

  /** Adds a row as another tool would (the relay CLI, another app), straight through the cloud's API. */
  async function addRow(name: string, uri: string, extra: Record<string, unknown> = {}): Promise<string> {
    const answer = await fetch(`${cloud.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: API_KEY, client_id: cloud.clientId }),
    });
    const { access_token: token } = (await answer.json()) as { access_token: string };
    const saved = await fetch(`${cloud.url}/ibot/workflow?subscriber_id=${cloud.subscriberId}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name,
        options: { transient: true, hidden: false },
        config: { trigger: { start: { workflow: { uri, args: {} } }, on_phrases: [name] } },
        install: ['990007560012345'],
        ...extra,
      }),
    });
    expect(saved.status).toBe(200);
    return ((await saved.json()) as Array<{ workflow_id: string }>)[0]!.workflow_id;
  }

  const rows = () => cloud.registrations.all;
  const rowNamed = (name: string) => rows().find((row) => row.name === name) as Record<string, unknown>;
  const writes = () => cloud.calls.saveWorkflow + cloud.calls.deleteWorkflow;

  it('creates every registration on an empty account, then a second run changes nothing', async () => {
    const first = await register();
    expect(first.code).toBe(0);
    expect(first.out).toEqual([
      `Relay registrations on wss://${HOST} for subscriber sim-subscriber:`,
      `  create     hello at wss://${HOST}/hello?token=…`,
      `  create     panic at wss://${HOST}/panic?token=…`,
      expect.stringMatching(/^created hello \(wf_hello_\w+\)$/),
      expect.stringMatching(/^created panic \(wf_panic_\w+\)$/),
      'done: 2 changes applied',
    ]);
    expect(rowNamed('hello')).toEqual({
      workflow_id: expect.stringMatching(/^wf_hello_/),
      name: 'hello',
      options: { transient: true, hidden: false },
      config: {
        trigger: {
          start: {
            workflow: {
              uri: `wss://${HOST}/hello?token=${TOKEN}`,
              args: { greeting: 'Hello', workflow_secret: SECRET },
            },
          },
          on_phrases: ['hello', 'hi'],
        },
      },
      install_rule: 'urn:relay-resource:all:device',
    });
    expect(rowNamed('panic')).toMatchObject({
      options: { transient: false, hidden: false },
      config: {
        trigger: {
          start: { workflow: { args: { escalate_after_secs: 60, loud: true } } },
          on_button: 'action_button_double_tap',
        },
      },
    });

    const before = writes();
    const second = await register();
    expect(second).toEqual({
      code: 0,
      err: [],
      out: [
        `Relay registrations on wss://${HOST} for subscriber sim-subscriber:`,
        '  unchanged  hello',
        '  unchanged  panic',
        'nothing to do: Relay is in step with the code',
      ],
    });
    expect(writes()).toBe(before);
  });

  /** A registration changed in code, or a row changed at Relay, each shows as an update of that field. */
  it.each<[string, { code?: Partial<Registration>; settings?: Partial<Config>; row?: Record<string, unknown> }]>([
    ['name', { row: { name: 'Hello by hand' } }],
    ['uri', { settings: { workflowToken: 'rotated-token-0123456789abcdef' } }],
    ['trigger', { code: { trigger: { type: 'phrase', phrases: ['hello there'] } } }],
    ['trigger', { code: { trigger: { type: 'http' } } }],
    ['args', { code: { args: { greeting: 'Howdy' } } }],
    ['args', { code: { args: { greeting: 'Hello', volume: 7 } } }],
    ['transient', { code: { transient: false } }],
    ['hidden', { code: { hidden: true } }],
    ['install', { settings: { relayInstall: { type: 'devices', devices: ['990007560012345'] } } }],
    ['install', { code: { install: { type: 'group', group: 'urn:relay-resource:id:tag:abc' } } }],
    ['workflow_secret (value hidden)', { settings: { workflowSecret: ROTATED } }],
    ['workflow_secret (value hidden)', { settings: { workflowSecret: undefined } }],
  ])('updates a row whose %s differs, keeping its id, then is in step', async (field, change) => {
    await register();
    const id = rowNamed('hello').workflow_id;
    if (change.row !== undefined) {
      const api = new RelayApi({ ...cloud.clientOptions });
      const [row] = (await api.listWorkflows()).filter((listed) => listed.workflow_id === id);
      await api.saveWorkflow({ ...row!, ...(change.row as WorkflowRowInput) });
    }
    const changed: WorkflowModule = { ...hello, registration: { ...hello.registration!, ...change.code } };
    const settings = config(change.settings);
    const saves = cloud.calls.saveWorkflow;
    const run = await register([], { workflows: { hello: changed, panic }, settings });
    expect(run.code).toBe(0);
    // A setting applies to every workflow; a change in code or at Relay to hello alone.
    const updated = change.settings === undefined ? 1 : 2;
    expect(run.out).toContain(`  update     hello: ${field} differs`);
    expect(run.out).toContain(updated === 1 ? '  unchanged  panic' : `  update     panic: ${field} differs`);
    expect(cloud.calls.saveWorkflow).toBe(saves + updated);
    expect(rows().map((row) => row.workflow_id)).toContain(id);
    expect(rows()).toHaveLength(2);
    const again = await register([], { workflows: { hello: changed, panic }, settings });
    expect(again.out.at(-1)).toBe('nothing to do: Relay is in step with the code');
    expect(cloud.calls.saveWorkflow).toBe(saves + updated);
  });

  it('re-registers every workflow when WORKFLOW_SECRET rotates, naming the change but never the value', async () => {
    await register();
    const rotated = config({ workflowSecret: ROTATED, workflowSecretPrevious: SECRET });
    const plan = await register(['--dry-run', '--json'], { settings: rotated });
    expect(plan.out).toEqual([
      JSON.stringify({ create: [], update: ['hello', 'panic'], unchanged: [], delete: [], foreign: 0 }),
    ]);
    const run = await register([], { settings: rotated });
    expect(run.out).toContain('  update     hello: workflow_secret (value hidden) differs');
    expect(run.out.at(-1)).toBe('done: 2 changes applied');
    const args = (rowNamed('hello').config as { trigger: { start: { workflow: { args: object } } } }).trigger.start
      .workflow.args;
    expect(args).toEqual({ greeting: 'Hello', workflow_secret: ROTATED });
    expect((await register([], { settings: rotated })).out.at(-1)).toBe(
      'nothing to do: Relay is in step with the code',
    );
  });

  it('refuses a registration that declares the reserved arg workflow_secret itself (exit 2)', async () => {
    const own: WorkflowModule = { ...hello, registration: { ...hello.registration!, args: { workflow_secret: 'x' } } };
    const run = await register([], { workflows: { hello: own } });
    expect(run).toEqual({
      code: 2,
      out: [],
      err: [
        expect.stringMatching(/^register: workflow "hello": the arg workflow_secret is reserved for WORKFLOW_SECRET/),
      ],
    });
    expect(cloud.calls.listWorkflows).toBe(0);
  });

  it('keeps fields it does not manage when it updates a row (absorb_triggers)', async () => {
    const id = await addRow('hello', `wss://${HOST}/hello`, { options: { absorb_triggers: ['on_call_request'] } });
    await register();
    expect(rowNamed('hello')).toMatchObject({
      workflow_id: id,
      options: { absorb_triggers: ['on_call_request'], transient: true, hidden: false },
      install_rule: 'urn:relay-resource:all:device',
    });
    expect(rowNamed('hello')).not.toHaveProperty('install');
  });

  it('deletes a row of this host that no workflow serves, or keeps it with --keep', async () => {
    const old = await addRow('old-name', `wss://${HOST}/old-name?token=${TOKEN}`);
    const kept = await register(['--keep']);
    expect(kept.out).toContain(`  keep       old-name (${old}): no workflow serves /old-name, kept as --keep asks`);
    expect(rows().map((row) => row.workflow_id)).toContain(old);

    const deleted = await register();
    expect(deleted.out).toContain(`  delete     old-name (${old}): no workflow serves /old-name`);
    expect(deleted.out).toContain(`deleted old-name (${old})`);
    expect(rows().map((row) => row.name)).toEqual(['hello', 'panic']);
  });

  it('counts a delete Relay answers 404 to as done: the row is gone either way', async () => {
    await register();
    const old = await addRow('old-name', `wss://${HOST}/old-name`);
    const run = await register([], {
      // Another run (or a person) deletes the row between this run's list and its delete.
      onLine: (line) => {
        if (line.startsWith('  delete')) cloud.registrations.delete(old);
      },
    });
    expect(run.code).toBe(0);
    expect(run.out).toContain(`deleted old-name (${old})`);
    expect(cloud.requests.filter((request) => request.endpoint === 'deleteWorkflow').map((r) => r.status)).toEqual([
      404,
    ]);
  });

  it('deletes a second row of the same path, so that a phrase does not start the workflow twice', async () => {
    await register();
    const twin = await addRow('hello', `wss://${HOST}/hello?token=${TOKEN}`);
    const run = await register(['--json']);
    expect(JSON.parse(run.out[0]!)).toEqual({
      create: [],
      update: [],
      unchanged: ['hello', 'panic'],
      delete: ['hello'],
      foreign: 0,
    });
    expect(rows().map((row) => row.workflow_id)).not.toContain(twin);
  });

  it('says why a second row of a served path is left over, and keeps it with --keep', async () => {
    await register();
    const twin = await addRow('hello', `wss://${HOST}/hello?token=${TOKEN}`);
    const kept = await register(['--keep']);
    expect(kept.out).toContain(
      `  keep       hello (${twin}): a second registration of /hello, which another row already serves, kept as --keep asks`,
    );
    expect(rows().map((row) => row.workflow_id)).toContain(twin);
  });

  it("leaves other hosts' rows alone (foreign), and two apps on one account keep to their own", async () => {
    const foreignId = await addRow('hello', 'wss://other-app.example.com/hello?token=theirs');
    const foreignRow = rowNamed('hello');
    const run = await register(['--json']);
    expect(JSON.parse(run.out[0]!)).toEqual({
      create: ['hello', 'panic'],
      update: [],
      unchanged: [],
      delete: [],
      foreign: 1,
    });
    const second = config({ herokuAppDomain: 'second-app.herokuapp.com' });
    const other = await register([], { workflows: { hello }, settings: second });
    expect(other.out).toContain('  create     hello at wss://second-app.herokuapp.com/hello?token=…');
    expect(other.out).toContain('  foreign    3 registrations of other hosts, left as they are');
    expect(rows()).toHaveLength(4);
    expect(rows().find((row) => row.workflow_id === foreignId)).toEqual(foreignRow);
    const mine = await register();
    expect(mine.out.filter((line) => line.includes('unchanged'))).toHaveLength(2);
    expect(mine.out).toContain('  foreign    2 registrations of other hosts, left as they are');
  });

  it('--dry-run prints the plan and changes nothing; --json prints one object', async () => {
    await addRow('gone', `wss://${HOST}/gone`);
    const dry = await register(['--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.out.at(-1)).toBe('dry run: nothing was changed');
    expect(cloud.calls.saveWorkflow + cloud.calls.deleteWorkflow).toBe(1); // addRow's own save
    const json = await register(['--dry-run', '--json']);
    expect(json.out).toEqual([
      JSON.stringify({ create: ['hello', 'panic'], update: [], unchanged: [], delete: ['gone'], foreign: 0 }),
    ]);
  });

  it('stops at a Relay failure halfway, says what was applied, and a rerun finishes the job', async () => {
    const failed = await register([], {
      // The failure is armed once the first create is done, so the second one meets it.
      onLine: (line) => {
        if (line.startsWith('created hello')) cloud.failNext({ status: 500, message: 'database unavailable' });
      },
    });
    expect(failed.code).toBe(1);
    expect(failed.err).toEqual([
      'register: saveWorkflow failed: Relay answered HTTP 500 "database unavailable"; ' +
        "Relay's API is failing or unavailable: try again later; if it lasts, check RELAY_API_URL and RELAY_ENV",
      expect.stringMatching(/^register: applied before it: created hello \(wf_hello_\w+\)$/),
      'register: run npm run register again to finish: it plans from what Relay holds now',
    ]);
    expect(rows().map((row) => row.name)).toEqual(['hello']);

    const rerun = await register();
    expect(rerun.code).toBe(0);
    expect(rerun.out).toContain('  unchanged  hello');
    expect(rerun.out).toContain('  create     panic at wss://demo-1234.herokuapp.com/panic?token=…');
    expect((await register()).out.at(-1)).toBe('nothing to do: Relay is in step with the code');
  });

  it('exits 1 without changing anything when the list fails, and keeps secrets out of what Relay echoes', async () => {
    cloud.failNext({
      status: 400,
      message: `bad uri wss://${HOST}/hello?token=${TOKEN} for key ${API_KEY} with arg ${SECRET}`,
    });
    const run = await register();
    expect(run.code).toBe(1);
    expect(run.out).toEqual([]);
    expect(run.err).toEqual([
      expect.stringMatching(/^register: listWorkflows failed: Relay answered HTTP 400 .*nothing was changed$/),
    ]);
    expect(run.err[0]).toContain('token=…');
  });

  it('exits 2 naming what to set: credentials, a public host, an install, a flag', async () => {
    const cases: Array<[Partial<Config> | string[], RegExp]> = [
      [{ relayApiKey: undefined, relaySubscriberId: undefined }, /set RELAY_API_KEY .* and RELAY_SUBSCRIBER_ID/],
      [{ herokuAppDomain: undefined }, /set PUBLIC_URL/],
      [{ relayInstall: undefined }, /workflow "hello": no install: set RELAY_INSTALL/],
      [['--force'], /unknown argument "--force"; usage: npm run register/],
    ];
    for (const [change, message] of cases) {
      const run = Array.isArray(change) ? await register(change) : await register([], { settings: config(change) });
      expect(run).toEqual({ code: 2, out: [], err: [expect.stringMatching(message)] });
    }
    expect(cloud.calls.listWorkflows).toBe(0);
  });

  it('registers at PUBLIC_URL, which wins over the Heroku domain', async () => {
    const run = await register(['--dry-run'], { settings: config({ publicUrl: 'https://relay.example.com' }) });
    expect(run.out).toContain('  create     hello at wss://relay.example.com/hello?token=…');
  });
});
