import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort } from '../helpers/free-port';
import { join } from 'node:path';
import { createWorkflowServer, Workflow } from '../../src';
import { RelayPeer, responseTo, type Frame } from '../helpers/relay-peer';
import { memoryLogger } from '../helpers/memory-logger';
import { ALLOW_LIST, applyAllowList, applyEventAllowList } from './allow-list';
import {
  conformanceWorkflow,
  DEVICE,
  EMPTY_GROUP,
  EVENT_CATEGORY,
  INTERACTION,
  RESULTS_CATEGORY,
  SILENT_DEVICE,
} from './script';

/**
 * The same script of workflow calls, run on this project's runtime and on the real
 * @relaypro/sdk 2.4.0, driven by the same peer. The frames each sent must be the same (request
 * ids normalised), the values each call returned must be the same, and the events each handler
 * received must be the same, except for the deliberate fixes in ./allow-list.ts.
 */

interface Run {
  transcript: Frame[];
  report: ScriptReport;
  events: unknown[];
}

/** 2.4.0's `Workflow` methods that its typings mark private, and its socket callbacks. */
const SDK_NON_API = new Set(['onClose', 'onError', 'onMessage', 'setDeviceInfo']);

async function runOnOurs(): Promise<Run> {
  const server = createWorkflowServer({
    logger: memoryLogger().logger,
    config: { heartbeatMs: 50_000 },
    workflows: { conformance: conformanceWorkflow },
  });
  try {
    const { port } = await server.listen(0, '127.0.0.1');
    return await runBoth(`ws://127.0.0.1:${port}/conformance`);
  } finally {
    await server.close(0);
  }
}

async function runOnSdk(): Promise<Run> {
  const port = await freePort();
  const child = fork(join(__dirname, 'sdk-child.js'), [], {
    env: { ...process.env, PORT: String(port), HEARTBEAT: '600000' },
    execArgv: [],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  try {
    await readyOrExit(child);
    return await runBoth(`ws://127.0.0.1:${port}/conformance`);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.exitCode === null && child.signalCode === null) child.kill();
    await exited;
  }
}

async function runBoth(url: string): Promise<Run> {
  const { transcript, report } = await runApiSession(url);
  const events = await runEventSession(url);
  return { transcript, report, events };
}

function readyOrExit(child: ChildProcess): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) =>
      reject(new Error(`the @relaypro/sdk child exited (${code}) before listening:\n${stderr}`)),
    );
  });
}

/** Replaces every request id with `<id:n>`, n counting distinct ids in the order they were sent. */
function normaliseIds(run: Run): { transcript: Frame[]; results: Record<string, unknown>; events: unknown[] } {
  const ids = new Map<string, string>();
  for (const frame of run.transcript) {
    if (frame._id !== undefined && !ids.has(frame._id)) ids.set(frame._id, `<id:${ids.size + 1}>`);
  }
  const text = JSON.stringify({ transcript: run.transcript, results: run.report.results, events: run.events });
  return JSON.parse(text.replace(/[0-9a-f]{32}/g, (id) => ids.get(id) ?? id)) as ReturnType<typeof normaliseIds>;
}

/** What each step returns for the peer's answers; steps not listed return undefined. */
const RETURNS: Record<string, unknown> = {
  say: '<id:3>',
  'say:lang': '<id:4>',
  sayAndWait: '<id:6>',
  play: '<id:7>',
  playAndWait: '<id:8>',
  listen: { text: 'yes', lang: 'en-US' },
  'listen:audio': { audio: 'UklGRg==' },
  'listen:defaults': { text: 'yes', lang: 'en-US' },
  getUserProfile: 'bob',
  getDeviceName: 'Alice',
  getDeviceId: '990007560012345',
  getDeviceLocation: '1 Main St',
  'getDeviceLocation:refresh': '1 Main St',
  getDeviceLocationEnabled: true,
  getDeviceAddress: '1 Main St',
  getDeviceCoordinates: [35.7, -78.6],
  getDeviceIndoorLocation: 'Lobby',
  getDeviceBattery: 87,
  getDeviceType: 'relay2',
  getUnreadInboxSize: 3,
  translate: 'es-ES:hello',
  'translate:langs': 'en-US:hola',
  getGroupMembers: [DEVICE],
  isGroupMember: true,
  'isGroupMember:spaces': true,
  getVar: 'Welcome',
  'getVar:default': 'dflt',
  'getVar:error': { error: 'var_not_found' },
  getNumberVar: 5,
  getArrayVar: ['a', 'b'],
  getNumberArrayVar: [1, 2, 3],
  getMappedVar: '5!',
  get: [5, 'a,b'],
  'get:no-mappers': ['<undefined>', 'Welcome'],
  'get:one': 'Welcome',
  createIncident: 'inc-1',
};

/** The report each event handler sends: its name (lifecycle narrowed by type) and payload. */
function expectedEventReports(): unknown[] {
  return EVENT_STEPS.flatMap(({ frame }) => {
    const { _type, ...payload } = frame;
    const name = _type.replace(/^wf_api_(\w+)_event$/, '$1');
    const event = name === 'interaction_lifecycle' ? `interaction_${String(payload.type)}` : name;
    const report = { event, payload };
    return payload.taps === 'long'
      ? [report, { event: 'error', payload: { message: 'handler failed on purpose' } }]
      : [report];
  });
}

describe('conformance with @relaypro/sdk 2.4.0', () => {
  let ours: Run;
  let sdk: Run;
  let oursNormal: ReturnType<typeof normaliseIds>;
  let sdkNormal: ReturnType<typeof normaliseIds>;

  beforeAll(async () => {
    [ours, sdk] = await Promise.all([runOnOurs(), runOnSdk()]);
    oursNormal = normaliseIds(ours);
    sdkNormal = normaliseIds(sdk);
    applyAllowList('ours', oursNormal);
    applyAllowList('sdk', sdkNormal);
  }, 30_000);

  it('calls every public method of 2.4.0, and this Workflow has each of them', () => {
    const sdkApi = sdk.report.methods.filter((name) => !name.startsWith('_') && !SDK_NON_API.has(name));
    expect(sdkApi.length).toBeGreaterThan(70);
    const ourMethods = Object.getOwnPropertyNames(Workflow.prototype);
    expect(sdkApi.filter((name) => !ourMethods.includes(name))).toEqual([]);
    expect(sdkApi.filter((name) => !sdk.report.called.includes(name))).toEqual([]);
    expect(ours.report.called).toEqual(sdk.report.called);
  });

  it('sends the same frames, apart from the allow-listed fixes', () => {
    expect(oursNormal.transcript.length).toBeGreaterThan(100);
    expect(oursNormal.transcript).toEqual(sdkNormal.transcript);
  });

  it('returns the same values, apart from the allow-listed fixes', () => {
    expect(oursNormal.results).toEqual(sdkNormal.results);
  });

  it('returns what the peer answered', () => {
    const placeholders = Object.entries(oursNormal.results).filter(([, value]) =>
      String(value).startsWith('<deviation '),
    );
    const expected = Object.fromEntries(
      Object.keys(oursNormal.results).map((step) => [step, RETURNS[step] ?? '<undefined>']),
    );
    expect({ ...oursNormal.results }).toEqual({ ...expected, ...Object.fromEntries(placeholders) });
  });

  it('hands every event of protocol section 4 to its handler by name, as 2.4.0 does', () => {
    expect(oursNormal.events).toEqual(sdkNormal.events);
    const expected = expectedEventReports();
    applyEventAllowList('ours', expected);
    expect(oursNormal.events).toEqual(expected);
  });

  it('lists exactly the allow-listed deviations in the section on them of docs/sdk-differences.md', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'docs', 'sdk-differences.md'), 'utf8');
    const start = readme.indexOf('### Visible in the conformance test');
    const end = readme.indexOf('\n### ', start + 1);
    expect(start).toBeGreaterThan(-1);
    const section = readme.slice(start, end === -1 ? undefined : end);
    const documented = [...section.matchAll(/^#### `([a-z0-9-]+)`/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual(ALLOW_LIST.map(({ id }) => id).sort());
  });
});

// The Relay server's side of the script: what the peer sends and how it answers.

/** What the script reports at the end of an API session. */
interface ScriptReport {
  results: Record<string, unknown>;
  called: string[];
  methods: string[];
}

interface ApiRun {
  /** Every frame the workflow sent, in order, except the report. */
  transcript: Frame[];
  report: ScriptReport;
}

const VARS: Record<string, string> = { greeting: 'Welcome', count: '5', list: 'a,b', nums: '1,2,3' };

const DEVICE_INFO: Record<string, unknown> = {
  name: 'Alice',
  id: '990007560012345',
  type: 'relay2',
  address: '1 Main St',
  indoor_location: 'Lobby',
  battery: 87,
  username: 'bob',
  location_enabled: true,
};

/**
 * Plays the Relay server for one run of the conformance script: sends `start`, answers every
 * request as the Relay server does (protocol doc 3.1), and returns what the workflow sent.
 */
async function runApiSession(url: string): Promise<ApiRun> {
  const peer = await RelayPeer.connect(url);
  const transcript: Frame[] = [];
  peer.send({
    _type: 'wf_api_start_event',
    trigger: { type: 'phrase', args: { phrase: 'conformance', source_uri: DEVICE } },
  });
  for (;;) {
    const frame = await peer.nextOrFail();
    if (frame._type === 'wf_api_log_analytics_event_request' && frame.category === RESULTS_CATEGORY) {
      peer.respond(frame);
      await peer.close();
      return { transcript, report: JSON.parse(String(frame.content)) as ScriptReport };
    }
    transcript.push(frame);
    await answer(peer, frame);
  }
}

/** One event to send in an events session, and how many event reports it causes. */
interface EventStep {
  frame: Frame;
  reports: number;
}

const CALL = {
  call_id: 'c1',
  direction: 'inbound',
  device_id: 'd1',
  device_name: 'Bob',
  uri: 'urn:relay-resource:name:device:Bob',
  onnet: true,
  start_time_epoch: 1700000000,
};

/** Every event of protocol section 4, as the Relay server sends it. */
const EVENT_STEPS: EventStep[] = [
  ...['started', 'resumed', 'suspended', 'ended', 'failed'].map((type) =>
    event('interaction_lifecycle', { type, source_uri: INTERACTION }),
  ),
  event('button', { button: 'action', taps: 'single', source_uri: INTERACTION }),
  // The script's button handler throws on a long press: one report from it, one from `error`.
  { ...event('button', { button: 'action', taps: 'long', source_uri: INTERACTION }), reports: 2 },
  event('timer', {}),
  event('timer_fired', { name: 'tmr' }),
  event('notification', {
    source_uri: DEVICE,
    event: 'ack_event',
    name: 'aname',
    notification_state: { acknowledged: [DEVICE], created: [DEVICE], cancelled: [], timed_out: [] },
  }),
  event('incident', { type: 'resolved', incident_id: 'inc-1', reason: 'done' }),
  event('prompt', { type: 'started', id: 'p1', source_uri: INTERACTION }),
  event('speech', { request_id: 'r1', text: 'hi', lang: 'en-US', source_uri: INTERACTION }),
  event('progress', {}),
  event('call_start_request', { uri: 'urn:relay-resource:name:device:Bob' }),
  event('call_received', CALL),
  event('call_ringing', CALL),
  event('call_progressing', { ...CALL, connect_time_epoch: 1700000001 }),
  event('call_connected', { ...CALL, connect_time_epoch: 1700000001 }),
  event('call_disconnected', { ...CALL, connect_time_epoch: 1700000001, end_time_epoch: 1700000009, reason: 'hangup' }),
  event('call_failed', { ...CALL, reason: 'busy', end_time_epoch: 1700000009 }),
  event('sms', { id: 's1', event: 'delivered' }),
  event('stop', { reason: 'normal' }),
];

/**
 * Sends every event of {@link EVENT_STEPS} to a session whose script records events, one at a
 * time, and returns the reports the workflow's handlers sent back, in order.
 */
async function runEventSession(url: string): Promise<unknown[]> {
  const peer = await RelayPeer.connect(url);
  const reports: unknown[] = [];
  peer.send({ _type: 'wf_api_start_event', trigger: { type: 'http', args: { args: {}, source_uri: DEVICE } } });
  for (const step of EVENT_STEPS) {
    peer.send(step.frame);
    for (let i = 0; i < step.reports; i++) {
      const frame = await peer.nextOrFail();
      if (frame.category !== EVENT_CATEGORY) throw new Error(`expected an event report, got ${JSON.stringify(frame)}`);
      reports.push(JSON.parse(String(frame.content)));
      peer.respond(frame);
    }
  }
  await peer.close();
  return reports;
}

function event(name: string, fields: Record<string, unknown>): EventStep {
  return { frame: { _type: `wf_api_${name}_event`, ...fields }, reports: 1 };
}

/**
 * Sends the events an action announces (prompt `stopped`, `speech`, `stop`) once the workflow's
 * side has taken the response. 2.4.0 starts listening for such an event only after it processed
 * the response (in the promise continuations of that message); if both reach it in one TCP read
 * it misses the event and fails after 32 s (protocol doc 7.1). The Relay server in practice
 * writes them a little later; this peer waits for the pong that the workflow's side sends after
 * reading the response, so the events arrive in a later read, after those continuations ran.
 */
async function thenEvents(peer: RelayPeer, ...events: Frame[]): Promise<void> {
  await peer.synced();
  for (const frame of events) peer.send(frame);
}

/** Answers one request the way the Relay server does, with a few scripted oddities. */
async function answer(peer: RelayPeer, frame: Frame): Promise<void> {
  const target = (frame._target as { uris: string[] } | undefined)?.uris[0];
  switch (frame._type) {
    case 'wf_api_say_request':
    case 'wf_api_play_request': {
      // A say/play response's `id` is the request `_id`; one scripted say gets none at all.
      peer.respond(frame, frame.text === 'reply without id' ? {} : { id: frame._id });
      const prompt = (type: string): Frame => ({
        _type: 'wf_api_prompt_event',
        type,
        id: frame._id,
        source_uri: INTERACTION,
      });
      return thenEvents(peer, prompt('started'), prompt('stopped'));
    }
    case 'wf_api_listen_request': {
      peer.respond(frame);
      const heard = frame.transcribe === false ? { audio: 'UklGRg==' } : { text: 'yes', lang: 'en-US' };
      return thenEvents(peer, {
        _type: 'wf_api_speech_event',
        request_id: frame._id,
        ...heard,
        source_uri: INTERACTION,
      });
    }
    case 'wf_api_get_device_info_request': {
      if (target === SILENT_DEVICE) return peer.respond(frame);
      const query = String(frame.query);
      // Integer coordinates on refresh: 2.4.0's reviver turns [35, 80] into the string "#P".
      const value = query === 'latlong' ? (frame.refresh === true ? [35, 80] : [35.7, -78.6]) : DEVICE_INFO[query];
      return peer.respond(frame, { [query]: value });
    }
    case 'wf_api_inbox_count_request':
      return peer.respond(frame, target === SILENT_DEVICE ? {} : { count: '3' });
    case 'wf_api_translate_request':
      if (frame.text === 'silence') return peer.respond(frame);
      // 2.4.0 re-attaches its listener after each progress frame: the response comes a little later.
      peer.send({ _id: frame._id, _type: 'wf_api_progress_event' });
      return thenEvents(peer, responseTo(frame, { text: `${String(frame.to_lang)}:${String(frame.text)}` }));
    case 'wf_api_group_query_request':
      if (frame.query === 'is_member') return peer.respond(frame, { is_member: true });
      return peer.respond(frame, { member_uris: frame.group_uri === EMPTY_GROUP ? [] : [DEVICE] });
    case 'wf_api_get_var_request': {
      if (frame.name === 'forbidden')
        return peer.send({ _id: frame._id, _type: 'wf_api_error_response', error: 'var_not_found' });
      const value = VARS[String(frame.name)];
      return peer.respond(frame, value === undefined ? {} : { value });
    }
    case 'wf_api_create_incident_request':
      return peer.respond(frame, { incident_id: 'inc-1' });
    case 'wf_api_terminate_request':
      return thenEvents(peer, { _type: 'wf_api_stop_event', reason: 'normal' });
    default:
      return peer.respond(frame);
  }
}
