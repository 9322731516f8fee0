import { setTimeout as delay } from 'node:timers/promises';
import { RelayPeer, type Frame } from '../helpers/relay-peer';
import { DEVICE, EMPTY_GROUP, EVENT_CATEGORY, INTERACTION, RESULTS_CATEGORY, SILENT_DEVICE } from './script';

/**
 * 2.4.0 starts listening for the event an action announces (prompt `stopped`, `speech`, `stop`)
 * only after it has processed the response, and nothing on the wire tells when that is. If both
 * reach it in one TCP read it misses the event and fails after 32 s (protocol doc 7.1). So this
 * peer, like the Relay server in practice, writes such events a little after the response. It
 * is pacing, not a wait for something that could be awaited.
 */
const EVENT_GAP_MS = 25;

/** What the script reports at the end of an API session. */
export interface ScriptReport {
  results: Record<string, unknown>;
  called: string[];
  methods: string[];
}

export interface ApiRun {
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
export async function runApiSession(url: string): Promise<ApiRun> {
  const peer = await RelayPeer.connect(url);
  const transcript: Frame[] = [];
  peer.send({
    _type: 'wf_api_start_event',
    trigger: { type: 'phrase', args: { phrase: 'conformance', source_uri: DEVICE } },
  });
  for (;;) {
    const frame = await nextOrFail(peer, transcript);
    if (frame._type === 'wf_api_log_analytics_event_request' && frame.category === RESULTS_CATEGORY) {
      respond(peer, frame, {});
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
export const EVENT_STEPS: EventStep[] = [
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
export async function runEventSession(url: string): Promise<unknown[]> {
  const peer = await RelayPeer.connect(url);
  const seen: Frame[] = [];
  const reports: unknown[] = [];
  peer.send({ _type: 'wf_api_start_event', trigger: { type: 'http', args: { args: {}, source_uri: DEVICE } } });
  for (const step of EVENT_STEPS) {
    peer.send(step.frame);
    for (let i = 0; i < step.reports; i++) {
      const frame = await nextOrFail(peer, seen);
      seen.push(frame);
      if (frame.category !== EVENT_CATEGORY) throw new Error(`expected an event report, got ${JSON.stringify(frame)}`);
      reports.push(JSON.parse(String(frame.content)));
      respond(peer, frame, {});
    }
  }
  await peer.close();
  return reports;
}

function event(name: string, fields: Record<string, unknown>): EventStep {
  return { frame: { _type: `wf_api_${name}_event`, ...fields }, reports: 1 };
}

/** The next frame, or a failure naming what was seen if the workflow's side closes first. */
async function nextOrFail(peer: RelayPeer, seen: Frame[]): Promise<Frame> {
  const closed = peer.closed.then(({ code }) => {
    const last = seen.at(-1)?._type ?? 'nothing';
    throw new Error(`the workflow side closed (code ${code}) after ${seen.length} frames; the last was ${last}`);
  });
  closed.catch(() => undefined); // only the race below reports it
  return Promise.race([peer.next(), closed]);
}

function responseTo(request: Frame, body: Record<string, unknown>): Frame {
  return { _id: request._id, _type: request._type.replace(/_request$/, '_response'), ...body };
}

function respond(peer: RelayPeer, request: Frame, body: Record<string, unknown>): void {
  peer.send(responseTo(request, body));
}

async function thenEvents(peer: RelayPeer, ...events: Frame[]): Promise<void> {
  await delay(EVENT_GAP_MS);
  for (const frame of events) peer.send(frame);
}

/** Answers one request the way the Relay server does, with a few scripted oddities. */
async function answer(peer: RelayPeer, frame: Frame): Promise<void> {
  const target = (frame._target as { uris: string[] } | undefined)?.uris[0];
  switch (frame._type) {
    case 'wf_api_say_request':
    case 'wf_api_play_request': {
      // A say/play response's `id` is the request `_id`; one scripted say gets none at all.
      respond(peer, frame, frame.text === 'reply without id' ? {} : { id: frame._id });
      const prompt = (type: string): Frame => ({
        _type: 'wf_api_prompt_event',
        type,
        id: frame._id,
        source_uri: INTERACTION,
      });
      return thenEvents(peer, prompt('started'), prompt('stopped'));
    }
    case 'wf_api_listen_request': {
      respond(peer, frame, {});
      const heard = frame.transcribe === false ? { audio: 'UklGRg==' } : { text: 'yes', lang: 'en-US' };
      return thenEvents(peer, {
        _type: 'wf_api_speech_event',
        request_id: frame._id,
        ...heard,
        source_uri: INTERACTION,
      });
    }
    case 'wf_api_get_device_info_request': {
      if (target === SILENT_DEVICE) return respond(peer, frame, {});
      const query = String(frame.query);
      // Integer coordinates on refresh: 2.4.0's reviver turns [35, 80] into the string "#P".
      const value = query === 'latlong' ? (frame.refresh === true ? [35, 80] : [35.7, -78.6]) : DEVICE_INFO[query];
      return respond(peer, frame, { [query]: value });
    }
    case 'wf_api_inbox_count_request':
      return respond(peer, frame, target === SILENT_DEVICE ? {} : { count: '3' });
    case 'wf_api_translate_request':
      if (frame.text === 'silence') return respond(peer, frame, {});
      // 2.4.0 re-attaches its listener after each progress frame: the response comes a little later.
      peer.send({ _id: frame._id, _type: 'wf_api_progress_event' });
      return thenEvents(peer, responseTo(frame, { text: `${String(frame.to_lang)}:${String(frame.text)}` }));
    case 'wf_api_group_query_request':
      if (frame.query === 'is_member') return respond(peer, frame, { is_member: true });
      return respond(peer, frame, { member_uris: frame.group_uri === EMPTY_GROUP ? [] : [DEVICE] });
    case 'wf_api_get_var_request': {
      if (frame.name === 'forbidden')
        return peer.send({ _id: frame._id, _type: 'wf_api_error_response', error: 'var_not_found' });
      const value = VARS[String(frame.name)];
      return respond(peer, frame, value === undefined ? {} : { value });
    }
    case 'wf_api_create_incident_request':
      return respond(peer, frame, { incident_id: 'inc-1' });
    case 'wf_api_terminate_request':
      return thenEvents(peer, { _type: 'wf_api_stop_event', reason: 'normal' });
    default:
      return respond(peer, frame, {});
  }
}
