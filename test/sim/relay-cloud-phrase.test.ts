import {
  createWorkflow,
  createWorkflowServer,
  Event,
  RelayApi,
  type Config,
  type Registration,
  type WorkflowModule,
  type WorkflowServer,
} from '../../src';
import { DEFAULT_CONFIG } from '../../src/config';
import { runRegister } from '../../src/register';
import { matchPhrase, normalizePhrase } from '../../src/sim/phrase-trigger';
import { dialUrlOf, type RegisteredWorkflow } from '../../src/sim/registered-row';
import { RelayCloud, SimulatorError, type CloudSession } from '../../src/testing';
import hello from '../../src/workflows/hello';
import { memoryLogger } from '../helpers/memory-logger';

const TOKEN = 'PLANTED-workflow-token-0123456789';
const SIM = { id: '990007560012345', name: 'Sim' };
const BOB = { id: '990007560099999', name: 'Bob' };

/** Says what started it and the registration args it reads, then terminates. */
const echo = createWorkflow((workflow) => {
  let started = '';
  workflow.on(Event.START, async ({ trigger }) => {
    started = trigger.type;
    await workflow.startInteraction([trigger.args.source_uri], 'echo');
  });
  workflow.on(Event.INTERACTION_STARTED, async ({ source_uri: interaction }) => {
    const room = await workflow.getVar('room', 'none');
    const floor = await workflow.getVar('floor', 'none');
    const from = await workflow.getVar('from', 'none');
    await workflow.sayAndWait(interaction, `${started}: room ${room}, floor ${floor}, from ${from}`);
    await workflow.terminate();
  });
});

function module(handler: WorkflowModule['default'], registration: Registration): WorkflowModule {
  return { default: handler, registration };
}

/** The app's workflows as this test registers them: the hello sample with another greeting, and echo on three installs. */
const workflows: Record<string, WorkflowModule> = {
  hello: module(hello, {
    description: 'the hello sample',
    trigger: { type: 'phrase', phrases: ['hello', 'hi there'] },
    args: { greeting: 'Welcome' },
  }),
  'bob-only': module(echo, {
    description: 'installed on Bob by id',
    trigger: { type: 'phrase', phrases: ['room check'] },
    args: { room: '12', floor: 3 },
    install: { type: 'devices', devices: [BOB.id] },
  }),
  'night-shift': module(echo, {
    description: 'installed on a group Bob is in',
    trigger: { type: 'phrase', phrases: ['night round'] },
    args: { room: 'lobby', floor: 0 },
    install: { type: 'group', group: 'urn:relay-resource:name:group:Night%20shift' },
  }),
  paged: module(echo, {
    description: 'an HTTP trigger',
    trigger: { type: 'http' },
    args: { room: '7', floor: 2 },
    install: { type: 'devices', devices: [SIM.id] },
  }),
};

describe('the laptop loop: npm run register against the simulated cloud, then a phrase said on a device', () => {
  let server: WorkflowServer;
  let cloud: RelayCloud;

  beforeAll(async () => {
    server = createWorkflowServer({ config: { logLevel: 'silent', workflowToken: TOKEN }, workflows });
    const { port } = await server.listen(0, '127.0.0.1');
    cloud = await RelayCloud.start({
      devices: [SIM, BOB],
      simulator: { groups: { 'Night shift': [BOB.name] } },
    });
    const config: Config = {
      ...DEFAULT_CONFIG,
      logLevel: 'silent',
      relayApiKey: cloud.oidcRefreshToken,
      relaySubscriberId: cloud.subscriberId,
      relayApiUrl: cloud.url,
      relayAuthUrl: cloud.url,
      publicUrl: `https://127.0.0.1:${port}`,
      workflowToken: TOKEN,
      relayInstall: { type: 'all' },
    };
    const out: string[] = [];
    const code = await runRegister({
      argv: [],
      workflows,
      config,
      out: (line) => out.push(line),
      err: (line) => out.push(line),
      logger: memoryLogger().logger,
    });
    expect({ code, out }).toEqual({ code: 0, out: expect.arrayContaining(['done: 4 changes applied']) });
  });

  afterAll(async () => {
    await cloud.close();
    await server.close(0);
  });

  it('starts the registration whose phrase was said, on its URI, with a phrase trigger and its registered args', async () => {
    const session = await cloud.speak(SIM.id, '  Hello! ', { simulator: { answers: ['Ana'] } });
    const run = await session.finished;
    expect(run.says).toEqual(['What is your name?', 'Welcome Ana!']);
    expect(run.terminated).toBe(true);
    const row = cloud.registrations.all.find((candidate) => candidate.name === 'hello');
    expect(session).toMatchObject({
      workflowId: row?.workflow_id,
      deviceId: SIM.id,
      trigger: 'phrase',
      phrase: 'hello',
      url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/hello\?token=PLANTED-workflow-token-0123456789$/),
      actionArgs: {},
      args: { greeting: 'Welcome' },
    });
    expect(run.transcript[0]?.frame).toEqual({
      _type: 'wf_api_start_event',
      trigger: { type: 'phrase', args: { phrase: 'hello', source_uri: 'urn:relay-resource:name:device:Sim' } },
    });
    const getVar = run.transcript.find(({ frame }) => frame._type === 'wf_api_get_var_request');
    const answer = run.transcript.find(({ frame }) => frame._id === getVar?.frame._id && frame !== getVar?.frame);
    expect(answer?.frame).toEqual({ _id: getVar?.frame._id, _type: 'wf_api_get_var_response', value: 'Welcome' });
    expect(cloud.sessions.at(-1)).toBe(session);
  });

  it('matches a second phrase of the same registration, in other case and spacing', async () => {
    const session = await cloud.speak(SIM.id, 'HI,   there', { simulator: { answers: ['Bo'] } });
    expect(session.phrase).toBe('hi there');
    expect((await session.finished).says).toEqual(['What is your name?', 'Welcome Bo!']);
  });

  it('starts a registration installed by device id only on that device; numbers arrive as their text', async () => {
    const session = await cloud.speak(BOB.id, 'room check');
    const run = await session.finished;
    expect(run.says).toEqual(['phrase: room 12, floor 3, from none']);
    expect(run.transcript[0]?.frame).toMatchObject({
      trigger: { args: { source_uri: 'urn:relay-resource:name:device:Bob' } },
    });
    await expect(cloud.speak(SIM.id, 'room check')).rejects.toMatchObject({
      code: 'sim-not-registered',
      message: expect.stringContaining(
        'no registration installed on device Sim (990007560012345) answers "room check"',
      ),
    });
  });

  it('starts a registration installed on a group only on its members', async () => {
    const run = await (await cloud.speak(BOB.id, 'Night round.')).finished;
    expect(run.says).toEqual(['phrase: room lobby, floor 0, from none']);
    await expect(cloud.speak(SIM.id, 'night round')).rejects.toMatchObject({ code: 'sim-not-registered' });
  });

  it('opens nothing for a phrase no registration on the device has, and names the phrases that would', async () => {
    const before = cloud.sessions.length;
    const error = await cloud.speak(SIM.id, 'hello there').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SimulatorError);
    expect((error as SimulatorError).message).toBe(
      'no registration installed on device Sim (990007560012345) answers "hello there"; its phrases: "hello", "hi there" (the whole phrase must match; case, spaces and punctuation do not count)',
    );
    await expect(cloud.speak('no-such-device', 'hello')).rejects.toMatchObject({
      code: 'sim-invalid-state',
      message: expect.stringContaining(`its devices: ${SIM.id} (Sim), ${BOB.id} (Bob)`),
    });
    expect(cloud.sessions.length).toBe(before);
  });

  it('an HTTP trigger of a row made through the workflow API starts it with action_args in the start event and its args on get_var', async () => {
    const api = new RelayApi({ ...cloud.oidcClientOptions, logger: memoryLogger().logger });
    const row = cloud.registrations.all.find((candidate) => candidate.name === 'paged');
    const workflowId = String(row?.workflow_id);
    await api.triggerWorkflow(workflowId, undefined, { from: 'front desk', room: 'ignored' });
    // The trigger is answered once its session is open: the latest one.
    const session = cloud.sessions.at(-1) as CloudSession;
    const run = await session.finished;
    expect(session).toMatchObject({ workflowId, deviceId: SIM.id, trigger: 'http', args: { room: '7', floor: '2' } });
    expect(run.transcript[0]?.frame).toEqual({
      _type: 'wf_api_start_event',
      trigger: {
        type: 'http',
        args: { args: { from: 'front desk', room: 'ignored' }, source_uri: 'urn:relay-resource:name:device:Sim' },
      },
    });
    // Registration args reach get_var and action_args the start event; neither is merged into the other.
    expect(run.says).toEqual(['http: room 7, floor 2, from none']);
  });

  it('refuses an HTTP trigger of a row without an HTTP trigger, opening nothing', async () => {
    const api = new RelayApi({ ...cloud.oidcClientOptions, logger: memoryLogger().logger });
    const row = cloud.registrations.all.find((candidate) => candidate.name === 'hello');
    const before = cloud.sessions.length;
    await expect(api.triggerWorkflow(String(row?.workflow_id))).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('has no HTTP trigger (on_http)'),
    });
    expect(cloud.sessions.length).toBe(before);
  });
});

describe('phrase matching', () => {
  const row = (workflowId: string, phrases: string[]): RegisteredWorkflow => ({
    workflowId,
    name: workflowId,
    uri: 'ws://127.0.0.1:1/x',
    phrases,
    http: false,
    args: {},
    install: { type: 'all' },
  });

  it('normalises case, Unicode forms, spaces and punctuation, and nothing else', () => {
    expect(normalizePhrase('  Hello,   WORLD!! ')).toBe('hello world');
    expect(normalizePhrase('Ｈｅｌｌｏ')).toBe('hello');
    expect(normalizePhrase("don't-stop")).toBe('don t stop');
    expect(normalizePhrase('café 2')).toBe('café 2');
    expect(normalizePhrase('?!')).toBe('');
  });

  it('matches a whole registered phrase only, and reports the registered phrase', () => {
    const rows = [row('a', ['hello']), row('b', ['request transport', 'Transport'])];
    expect(
      matchPhrase(rows, 'Request transport.').map(({ row: { workflowId }, phrase }) => [workflowId, phrase]),
    ).toEqual([['b', 'request transport']]);
    expect(matchPhrase(rows, 'transport')).toEqual([{ row: rows[1], phrase: 'Transport' }]);
    expect(matchPhrase(rows, 'hello there')).toEqual([]);
    expect(matchPhrase(rows, 'hell')).toEqual([]);
    expect(matchPhrase(rows, '...')).toEqual([]);
  });

  it('refuses a phrase two registrations on the device answer to, naming both', async () => {
    const cloud = await RelayCloud.start();
    try {
      const api = new RelayApi({ ...cloud.oidcClientOptions, logger: memoryLogger().logger });
      for (const name of ['first', 'second'])
        await api.saveWorkflow({
          name,
          config: { trigger: { start: { workflow: { uri: `ws://127.0.0.1:1/${name}` } }, on_phrases: ['hello'] } },
          install_rule: 'urn:relay-resource:all:device',
        });
      await expect(cloud.speak(cloud.defaultDeviceId, 'hello')).rejects.toMatchObject({
        code: 'sim-not-registered',
        message: expect.stringMatching(
          /^"hello" matches 2 registrations installed on device Sim .*: first \(wf_first_\w+\), second \(wf_second_\w+\);/,
        ),
      });
      expect(cloud.sessions).toEqual([]);
    } finally {
      await cloud.close();
    }
  });
});

describe('the URL the cloud dials for a registered URI', () => {
  it('dials a wss:// URI on a loopback host as ws://, and every other URI as registered', () => {
    expect(dialUrlOf('wss://localhost:8080/hello?token=t')).toBe('ws://localhost:8080/hello?token=t');
    expect(dialUrlOf('wss://127.0.0.1:9/a')).toBe('ws://127.0.0.1:9/a');
    expect(dialUrlOf('wss://[::1]:9/a')).toBe('ws://[::1]:9/a');
    expect(dialUrlOf('wss://demo-1234.herokuapp.com/hello')).toBe('wss://demo-1234.herokuapp.com/hello');
    expect(dialUrlOf('wss://localhost.example.com/hello')).toBe('wss://localhost.example.com/hello');
    expect(dialUrlOf('ws://127.0.0.1:9/a')).toBe('ws://127.0.0.1:9/a');
  });
});
