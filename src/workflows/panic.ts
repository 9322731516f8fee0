import { createWorkflow, Event, Uri, type Registration, type Workflow } from '../index';

/**
 * Registered on the phrase "help": the `relay` CLI has no triple-tap trigger. Registering it on
 * the button's double tap works too (see docs/samples.md). Group names are Relay group names.
 */
export const registration: Registration = {
  description:
    'Panic alarm: alerts a responders group with who and where the wearer is, escalates when nobody acknowledges.',
  trigger: { type: 'phrase', phrases: ['help'] },
  args: { responders: 'Security', escalation: 'Escalation', escalate_after_secs: 60 },
};

const ALERT = 'panic';
const ESCALATION = 'panic escalation';
const TIMER = 'panic escalation';
const RED = 'ff0000';
const PANIC_VIBRATION = [100, 300, 100, 300, 100, 300];

/** Where the alarm stands. Handlers run one at a time, so each reads and moves it without races. */
type Phase = 'starting' | 'waiting' | 'done';

interface Alarm {
  responders: string;
  escalation: string;
  escalateAfterSecs: number;
  /** "Panic alarm: Ana needs help at Front desk." */
  text: string;
}

/**
 * A panic button. The wearer's device flashes red and vibrates, the wearer hears that help is
 * being called, and the `responders` group gets an alert naming the device and where it is. The
 * first acknowledgement tells the wearer who is coming and cancels the alert for the others. With
 * no acknowledgement within `escalate_after_secs`, a responders group that has no members, or an
 * alert the Relay server refuses, it broadcasts to the `escalation` group instead, and says so. A
 * double tap during the wait cancels the alarm. Every path ends with a spoken line, then ends the
 * interaction and terminates.
 *
 * The wait is a state machine across handlers rather than one long handler: handlers run one at a
 * time per session, so a handler that awaited the whole alarm would hold back the very
 * acknowledgement, timer and button events it waits for.
 */
export default createWorkflow((workflow) => {
  let phase: Phase = 'starting';
  let device = '';
  let interaction = '';
  let alarm: Alarm | undefined;
  let timerSet = false;

  /** Says `line`, ends the interaction and terminates; `outcome` goes to the log (never the line). */
  async function finish(outcome: string, line: string): Promise<void> {
    phase = 'done';
    if (timerSet) await workflow.clearTimer(TIMER).catch(() => undefined);
    timerSet = false;
    workflow.log.info({ outcome }, 'panic alarm ended');
    if (interaction !== '') {
      // Best effort: whatever fails here, the session still terminates.
      await workflow
        .sayAndWait(interaction, line)
        .catch((err: unknown) => workflow.log.warn({ err }, 'could not tell the wearer'));
      await workflow.endInteraction(interaction, 'panic').catch(() => undefined);
    }
    await workflow.terminate();
  }

  /** Broadcasts to the escalation group; `reason` tells its members (and the log) why. */
  async function escalate(current: Alarm, outcome: string, reason: string, toWearer: string): Promise<void> {
    phase = 'done';
    try {
      await workflow.broadcast(Uri.groupName(current.escalation), device, ESCALATION, `${current.text} ${reason}`);
    } catch (err) {
      workflow.log.warn({ err }, 'panic escalation broadcast failed');
      return finish(`${outcome}, escalation failed`, 'I could not send the alarm. Call for help another way.');
    }
    return finish(outcome, `${toWearer} I have alerted ${current.escalation}.`);
  }

  workflow.on(Event.START, async ({ trigger }) => {
    device = trigger.args.source_uri;
    await workflow.startInteraction([device], 'panic');
  });

  workflow.on(Event.INTERACTION_STARTED, async ({ source_uri }) => {
    if (phase !== 'starting' || interaction !== '') return;
    interaction = source_uri;
    await workflow.flash(interaction, RED);
    await workflow.vibrate(interaction, PANIC_VIBRATION);
    // `say`, not `sayAndWait`: the alert goes out while the wearer hears this.
    await workflow.say(interaction, 'Calling for help. Double tap to cancel.');
    const current = await prepareAlarm(workflow, interaction);
    alarm = current;
    const group = Uri.groupName(current.responders);
    const members = await workflow.getGroupMembers(group).catch(() => undefined);
    if (members?.length === 0) {
      // Nobody would get the alert: a security team wants the next tier called now, not in a minute.
      return escalate(
        current,
        'escalated: no responders',
        `The ${current.responders} group has no members.`,
        `No one is on the ${current.responders} list.`,
      );
    }
    await workflow.setTimer('timeout', TIMER, current.escalateAfterSecs, 'secs');
    timerSet = true;
    try {
      await workflow.alert(group, device, ALERT, current.text);
    } catch (err) {
      workflow.log.warn({ err }, 'panic alert failed; escalating');
      return escalate(
        current,
        'escalated: alert failed',
        `The alert to ${current.responders} failed.`,
        `I could not reach ${current.responders}.`,
      );
    }
    phase = 'waiting';
  });

  workflow.on(Event.NOTIFICATION, async ({ event, name, source_uri }) => {
    if (phase !== 'waiting' || alarm === undefined || name !== ALERT || event !== 'ack_event') return;
    phase = 'done';
    // Cancel first, so the other responders stop being alerted; a failed cancel must not keep the wearer waiting.
    await workflow
      .cancelAlert(Uri.groupName(alarm.responders), ALERT)
      .catch((err: unknown) => workflow.log.warn({ err }, 'cancelling the panic alert failed'));
    return finish('acknowledged', `${responderName(source_uri)} is on the way.`);
  });

  workflow.on(Event.TIMER_FIRED, async ({ name }) => {
    if (name !== TIMER || phase !== 'waiting' || alarm === undefined) return;
    timerSet = false;
    // The alert to the responders stays up: escalating adds people, it does not call anyone off.
    return escalate(
      alarm,
      'escalated: no acknowledgement',
      `No one in ${alarm.responders} acknowledged within ${alarm.escalateAfterSecs} seconds.`,
      'No one has answered yet.',
    );
  });

  workflow.on(Event.BUTTON, async ({ taps }) => {
    if (phase !== 'waiting' || alarm === undefined || taps !== 'double') return;
    phase = 'done';
    await workflow
      .cancelAlert(Uri.groupName(alarm.responders), ALERT)
      .catch((err: unknown) => workflow.log.warn({ err }, 'cancelling the panic alert failed'));
    return finish('cancelled by the wearer', 'Alarm cancelled.');
  });

  // Anything unexpected (a failed say, a lost response): the wearer must not be left in silence.
  workflow.on(Event.ERROR, async () => {
    if (phase === 'done') return;
    await finish('failed', 'Something went wrong. Call for help another way.').catch(() => undefined);
  });
});

/** Reads the registration args (defaults when unset or unusable) and describes the wearer. */
async function prepareAlarm(workflow: Workflow, interaction: string): Promise<Alarm> {
  const [responders, escalation, seconds, name, indoor, address] = await Promise.all([
    readArg(workflow, 'responders', 'Security'),
    readArg(workflow, 'escalation', 'Escalation'),
    readArg(workflow, 'escalate_after_secs', '60'),
    workflow.getDeviceName(interaction).catch(() => undefined),
    workflow.getDeviceIndoorLocation(interaction).catch(() => undefined),
    workflow.getDeviceAddress(interaction).catch(() => undefined),
  ]);
  const escalateAfterSecs = Number(seconds) > 0 ? Number(seconds) : 60;
  const who = name || responderName(interaction, 'A Relay device');
  const where = indoor || address || 'an unknown location';
  return { responders, escalation, escalateAfterSecs, text: `Panic alarm: ${who} needs help at ${where}.` };
}

/** A registration arg, or `fallback` when it is unset, empty or cannot be read. */
async function readArg(workflow: Workflow, name: string, fallback: string): Promise<string> {
  const value = await workflow.getVar(name, fallback).catch(() => fallback);
  return value === undefined || value.trim() === '' ? fallback : value.trim();
}

/** The device name in a device or interaction URN, for speaking it. */
function responderName(uri: string, fallback = 'A responder'): string {
  try {
    return Uri.parseDeviceName(uri);
  } catch {
    return fallback;
  }
}
