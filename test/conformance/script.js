'use strict';
/**
 * The conformance script: one workflow that calls every public method of 2.4.0's `Workflow`, run
 * unchanged on this project's runtime and on the real @relaypro/sdk 2.4.0 (in a child process).
 * Plain CommonJS so that both can load it without a build step.
 *
 * The results travel back over the protocol itself, as one `log_analytics_event` request with the
 * category RESULTS_CATEGORY (sent after `terminate`), so the script needs no knowledge of which
 * runtime runs it. In an `http`-triggered session it records events instead (see recordEvents).
 */

const DEVICE = 'urn:relay-resource:name:device:Alice';
/** A device the peer answers with empty responses. */
const SILENT_DEVICE = 'urn:relay-resource:name:device:Silent';
const INTERACTION =
  'urn:relay-resource:name:interaction:hello%20world?device=urn%3Arelay-resource%3Aname%3Adevice%3AAlice';
const GROUP = 'urn:relay-resource:name:group:Security';
/** A group the peer reports as having no members. */
const EMPTY_GROUP = 'urn:relay-resource:name:group:Empty';
const RESULTS_CATEGORY = 'conformance-results';
const EVENT_CATEGORY = 'conformance-event';

/** Events recorded in an events session: every name of protocol section 4, lifecycle narrowed by type. */
const RECORDED_EVENTS = [
  'interaction_started',
  'interaction_resumed',
  'interaction_suspended',
  'interaction_ended',
  'interaction_failed',
  'button',
  'timer',
  'timer_fired',
  'notification',
  'incident',
  'prompt',
  'speech',
  'progress',
  'call_start_request',
  'call_received',
  'call_ringing',
  'call_progressing',
  'call_connected',
  'call_disconnected',
  'call_failed',
  'sms',
  'stop',
];

/** JSON cannot carry undefined or NaN; results name them instead. */
function encode(value) {
  if (value === undefined) return '<undefined>';
  if (typeof value === 'number' && Number.isNaN(value)) return '<NaN>';
  if (Array.isArray(value)) return value.map(encode);
  return value;
}

/** The workflow as the script sees it: every method fetched through it is noted in `called`. */
function recordCalls(workflow, called) {
  return new Proxy(workflow, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== 'function') return value;
      called.add(String(prop));
      return value.bind(target);
    },
  });
}

function methodNames(workflow) {
  const proto = Object.getPrototypeOf(workflow);
  return Object.getOwnPropertyNames(proto).filter(
    (name) => name !== 'constructor' && typeof proto[name] === 'function',
  );
}

/** Every call, in order. Labels are `method` or `method:variant`. */
function steps(wf) {
  const T = INTERACTION;
  return [
    [
      'startInteraction',
      () =>
        wf.startInteraction(DEVICE, 'hello world', {
          color: '0000ff',
          input_types: ['action_button_single_tap'],
          home_channel: 'suspend',
        }),
    ],
    ['startInteraction:no-options', () => wf.startInteraction([DEVICE], 'hello world')],
    ['say', () => wf.say(T, 'hello')],
    ['say:lang', () => wf.say(T, 'hola', 'es-ES')],
    ['say:no-id', () => wf.say(T, 'reply without id')],
    ['sayAndWait', () => wf.sayAndWait(T, 'hello and wait')],
    ['play', () => wf.play(T, 'relay-static://noise')],
    ['playAndWait', () => wf.playAndWait(T, 'relay-static://success')],
    ['listen', () => wf.listen(T, ['yes', 'no'])],
    ['listen:audio', () => wf.listen(T, [], { transcribe: false, alt_lang: 'fr-FR', timeout: 10 })],
    ['listen:defaults', () => wf.listen(T)],
    ['vibrate', () => wf.vibrate(T, [100, 500, 500, 500])],
    ['switchLedOn', () => wf.switchLedOn(T, 3, 'ff0000')],
    ['switchAllLedOn', () => wf.switchAllLedOn(T, '00ff00')],
    ['switchAllLedOff', () => wf.switchAllLedOff(T)],
    ['rainbow', () => wf.rainbow(T)],
    ['rainbow:rotations', () => wf.rainbow(T, 3)],
    ['rotate', () => wf.rotate(T)],
    ['rotate:color', () => wf.rotate(T, '00ff00')],
    ['flash', () => wf.flash(T)],
    ['breathe', () => wf.breathe(T, 'ffff00')],
    ['ledAction', () => wf.ledAction(T, 'static', { colors: { ring: 'ff00ff' }, duration: 500 })],
    ['enableHomeChannel', () => wf.enableHomeChannel(T)],
    ['disableHomeChannel', () => wf.disableHomeChannel(T)],
    [
      'broadcast',
      () =>
        wf.broadcast(GROUP, DEVICE, 'bname', 'broadcast text', {
          priority: 'high',
          title: 'T',
          body: 'B',
          sound: 'default',
        }),
    ],
    ['cancelBroadcast', () => wf.cancelBroadcast(GROUP, 'bname')],
    ['notify', () => wf.notify([DEVICE, GROUP], DEVICE, 'nname', 'notify text')],
    ['cancelNotify', () => wf.cancelNotify([DEVICE, GROUP], 'nname')],
    ['alert', () => wf.alert(GROUP, DEVICE, 'aname', 'alert text')],
    ['cancelAlert', () => wf.cancelAlert(GROUP, 'aname')],
    ['restartDevice', () => wf.restartDevice(DEVICE)],
    ['powerDownDevice', () => wf.powerDownDevice(DEVICE)],
    ['getUserProfile', () => wf.getUserProfile(T)],
    ['setUserProfile', () => wf.setUserProfile(T, 'bob')],
    ['setUserProfile:force', () => wf.setUserProfile(T, 'bob', true)],
    ['getDeviceName', () => wf.getDeviceName(T)],
    ['getDeviceName:empty', () => wf.getDeviceName(SILENT_DEVICE)],
    ['getDeviceId', () => wf.getDeviceId(T)],
    ['getDeviceLocation', () => wf.getDeviceLocation(T, false)],
    ['getDeviceLocation:refresh', () => wf.getDeviceLocation(T, true)],
    ['getDeviceLocationEnabled', () => wf.getDeviceLocationEnabled(T)],
    ['getDeviceAddress', () => wf.getDeviceAddress(T)],
    ['getDeviceCoordinates', () => wf.getDeviceCoordinates(T, false)],
    ['getDeviceLatLong:integers', () => wf.getDeviceLatLong(T, true)],
    ['getDeviceIndoorLocation', () => wf.getDeviceIndoorLocation(T)],
    ['getDeviceBattery', () => wf.getDeviceBattery(T, true)],
    ['getDeviceType', () => wf.getDeviceType(T)],
    ['setDeviceName', () => wf.setDeviceName(T, 'Alice 2')],
    ['setDeviceChannel', () => wf.setDeviceChannel(T, 'ops')],
    ['enableLocation', () => wf.enableLocation(T)],
    ['disableLocation', () => wf.disableLocation(T)],
    ['setDeviceMode', () => wf.setDeviceMode(T, 'panic')],
    ['setChannel', () => wf.setChannel(T, 'ops', { suppressTTS: true })],
    ['setChannel:defaults', () => wf.setChannel(T, 'ops')],
    ['placeCall', () => wf.placeCall(T, { uri: 'urn:relay-resource:name:device:Bob' })],
    ['answerCall', () => wf.answerCall(T, 'call-1')],
    ['answerCall:event', () => wf.answerCall(T, { call_id: 'call-1', uri: 'urn:relay-resource:name:device:Bob' })],
    ['hangupCall', () => wf.hangupCall(T, { call_id: 'call-2' })],
    [
      'registerForCalls',
      () => wf.registerForCalls(T, { uri: 'sip:alice@example.invalid', password: 'pw', expires: 3600 }),
    ],
    ['unregisterForCalls', () => wf.unregisterForCalls(T, { uri: 'sip:alice@example.invalid', password: 'pw' })],
    ['getUnreadInboxSize', () => wf.getUnreadInboxSize(T)],
    ['getUnreadInboxSize:empty', () => wf.getUnreadInboxSize(SILENT_DEVICE)],
    ['playUnreadInboxMessages', () => wf.playUnreadInboxMessages(T)],
    ['setTimer', () => wf.setTimer('timeout', 'tmr', 10, 'secs')],
    ['setTimer:defaults', () => wf.setTimer('interval', 'tick')],
    ['clearTimer', () => wf.clearTimer('tmr')],
    ['startTimer', () => wf.startTimer(30)],
    ['startTimer:default', () => wf.startTimer()],
    ['stopTimer', () => wf.stopTimer()],
    ['translate', () => wf.translate('hello')],
    ['translate:langs', () => wf.translate('hola', 'es-ES', 'en-US')],
    ['translate:empty', () => wf.translate('silence')],
    ['getGroupMembers', () => wf.getGroupMembers(GROUP)],
    ['getGroupMembers:empty', () => wf.getGroupMembers(EMPTY_GROUP)],
    ['isGroupMember', () => wf.isGroupMember(GROUP, DEVICE)],
    [
      'isGroupMember:spaces',
      () =>
        wf.isGroupMember('urn:relay-resource:name:group:Security%20One', 'urn:relay-resource:name:device:Jim%20Bob'),
    ],
    ['setDefaultAnalyticEventParameters', () => wf.setDefaultAnalyticEventParameters({ site: 'x' })],
    ['logMessage', () => wf.logMessage('log text')],
    ['logMessage:category', () => wf.logMessage('log text', 'cat')],
    ['logUserMessage', () => wf.logUserMessage('user log', DEVICE, 'cat')],
    ['logUserMessage:default', () => wf.logUserMessage('user log', DEVICE)],
    ['trackEvent', () => wf.trackEvent('cat', { k: { a: 1 } })],
    ['trackEvent:defaults-only', () => wf.trackEvent('cat')],
    ['trackUserEvent', () => wf.trackUserEvent('cat', DEVICE, { k: { a: 1 } })],
    ['setVar', () => wf.setVar('count', 5)],
    ['setVar:array', () => wf.setVar('list', ['a', 'b'])],
    ['setVar:object', () => wf.setVar('obj', { a: 1 })],
    ['setVar:null', () => wf.setVar('nothing', null)],
    ['set', () => wf.set({ a: '1', b: 2 })],
    ['set:pair', () => wf.set('c', '3')],
    ['unsetVar', () => wf.unsetVar('a')],
    ['unset', () => wf.unset(['a', 'b'])],
    ['unset:one', () => wf.unset('c')],
    ['getVar', () => wf.getVar('greeting')],
    ['getVar:default', () => wf.getVar('missing', 'dflt')],
    ['getVar:error', () => wf.getVar('forbidden')],
    ['getNumberVar', () => wf.getNumberVar('count')],
    ['getNumberVar:missing', () => wf.getNumberVar('missing')],
    ['getArrayVar', () => wf.getArrayVar('list')],
    ['getNumberArrayVar', () => wf.getNumberArrayVar('nums')],
    ['getMappedVar', () => wf.getMappedVar('count', (value) => `${value}!`)],
    ['get', () => wf.get(['count', 'list'], [Number, String])],
    ['get:no-mappers', () => wf.get(['missing', 'greeting'])],
    ['get:one', () => wf.get('greeting')],
    ['createIncident', () => wf.createIncident(DEVICE, 'panic')],
    ['resolveIncident', () => wf.resolveIncident('inc-1', 'done')],
    ['endInteraction', () => wf.endInteraction(T, 'hello world')],
    ['endInteraction:uri-only', () => wf.endInteraction(T)],
    ['badTarget', () => wf.say('not-a-urn', 'never sent')],
    ['on', () => wf.on('button', () => undefined)],
    ['off', () => wf.off('button')],
    ['terminate', () => wf.terminate()],
  ];
}

async function runScript(workflow) {
  const called = new Set();
  const wf = recordCalls(workflow, called);
  const results = {};
  for (const [label, call] of steps(wf)) {
    try {
      results[label] = encode(await call());
    } catch (error) {
      results[label] = { error: error instanceof Error ? error.message : String(error) };
    }
  }
  const report = { results, called: [...called].sort(), methods: methodNames(workflow) };
  await workflow.logMessage(JSON.stringify(report), RESULTS_CATEGORY);
}

/** Handlers that report each event's payload back as a log request; a long press also throws. */
function recordEvents(workflow) {
  const report = (name, payload) => workflow.logMessage(JSON.stringify({ event: name, payload }), EVENT_CATEGORY);
  for (const name of RECORDED_EVENTS) {
    workflow.on(name, async (payload) => {
      await report(name, payload);
      if (name === 'button' && payload.taps === 'long') throw new Error('handler failed on purpose');
    });
  }
  workflow.on('error', ({ error }) => report('error', { message: error.message }));
}

/** The workflow both runtimes serve at /conformance. */
function conformanceWorkflow(workflow) {
  workflow.on('start', async ({ trigger }) => {
    if (trigger.type === 'http') recordEvents(workflow);
    else await runScript(workflow);
  });
}

module.exports = {
  DEVICE,
  SILENT_DEVICE,
  INTERACTION,
  GROUP,
  EMPTY_GROUP,
  RESULTS_CATEGORY,
  EVENT_CATEGORY,
  conformanceWorkflow,
};
