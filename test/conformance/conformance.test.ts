import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort } from '../helpers/free-port';
import { join } from 'node:path';
import { createWorkflowServer, Workflow } from '../../src';
import type { Frame } from '../helpers/relay-peer';
import { memoryLogger } from '../helpers/memory-logger';
import { ALLOW_LIST, applyAllowList, applyEventAllowList } from './allow-list';
import { EVENT_STEPS, runApiSession, runEventSession, type ScriptReport } from './conformance-peer';
import { conformanceWorkflow, DEVICE } from './script';

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
