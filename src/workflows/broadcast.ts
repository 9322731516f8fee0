import { createWorkflow, Event, isRelayUri, Uri, type Registration, type StartEvent, type Workflow } from '../index';

/**
 * Registered on an HTTP trigger. `group` and `timeout_secs` here are defaults; each HTTP trigger
 * usually brings its own `group` and `message` in its args, and those win.
 */
export const registration: Registration = {
  description: 'Broadcasts a message to a group when triggered over HTTP, and logs how many acknowledged.',
  trigger: { type: 'http' },
  args: { group: 'Security', timeout_secs: 120 },
};

const NAME = 'broadcast';
const TIMER = 'broadcast timeout';
const DEFAULT_TIMEOUT_SECS = 120;

/**
 * Broadcasts `message` to `group`, then collects acknowledgements until every member has
 * acknowledged or `timeout_secs` (default 120) has passed, logs one summary line with the counts
 * (never the message nor the group) and terminates. Each arg is read from the HTTP trigger's args first, then
 * from the registration args. A missing `group` or `message`, a group without members, or a
 * broadcast the Relay server refuses is logged as a warning naming the problem, then it terminates.
 */
export default createWorkflow((workflow) => {
  let members = 0;
  let collecting = false;
  const acknowledgedBy = new Set<string>();

  /** Logs the summary and terminates; runs once. */
  async function finish(outcome: 'all acknowledged' | 'timed out'): Promise<void> {
    if (!collecting) return;
    collecting = false;
    if (outcome === 'all acknowledged') await workflow.clearTimer(TIMER).catch(() => undefined);
    const acknowledged = Math.min(acknowledgedBy.size, members);
    workflow.log.info({ outcome, members, acknowledged, timedOut: members - acknowledged }, 'broadcast summary');
    await workflow.terminate();
  }

  /** Logs why nothing was broadcast (never the message nor the group: docs/webhooks.md) and terminates. */
  async function giveUp(details: Record<string, unknown>, reason: string): Promise<void> {
    workflow.log.warn(details, `broadcast not sent: ${reason}`);
    await workflow.terminate();
  }

  workflow.on(Event.START, async ({ trigger }) => {
    const fromTrigger = httpArgs(trigger);
    const [group, message, seconds] = await Promise.all(
      ['group', 'message', 'timeout_secs'].map((name) => readArg(workflow, fromTrigger, name)),
    );
    const missing = Object.entries({ group, message }).flatMap(([name, value]) => (value === undefined ? [name] : []));
    if (group === undefined || message === undefined)
      return giveUp({ missing }, `missing arg ${missing.join(' and ')}`);
    const groupUri = Uri.groupName(group);
    let uris: string[] | undefined;
    try {
      uris = await workflow.getGroupMembers(groupUri);
    } catch (err) {
      return giveUp({ err }, 'could not list the group');
    }
    members = uris?.length ?? 0;
    if (members === 0) return giveUp({ members }, 'the group has no members');
    const timeoutSecs = Number(seconds) > 0 ? Number(seconds) : DEFAULT_TIMEOUT_SECS;
    await workflow.setTimer('timeout', TIMER, timeoutSecs, 'secs');
    const originator = isRelayUri(trigger.args.source_uri) ? trigger.args.source_uri : Uri.genericOriginator();
    try {
      await workflow.broadcast(groupUri, originator, NAME, message);
    } catch (err) {
      await workflow.clearTimer(TIMER).catch(() => undefined);
      return giveUp({ members, err }, 'the Relay server refused the broadcast');
    }
    collecting = true;
  });

  workflow.on(Event.NOTIFICATION, async ({ event, name, source_uri }) => {
    if (!collecting || name !== NAME || event !== 'ack_event') return;
    // Distinct devices: a device that acknowledges twice counts once.
    acknowledgedBy.add(source_uri);
    if (acknowledgedBy.size >= members) await finish('all acknowledged');
  });

  workflow.on(Event.TIMER_FIRED, async ({ name }) => {
    if (name === TIMER) await finish('timed out');
  });
});

/** An HTTP trigger's own args (`trigger.args.args`); empty for other triggers. */
function httpArgs(trigger: StartEvent['trigger']): Record<string, unknown> {
  const args = trigger.args.args;
  return typeof args === 'object' && args !== null && !Array.isArray(args) ? (args as Record<string, unknown>) : {};
}

/** The trigger's value for `name`, else the registration arg; undefined when neither is a non-empty value. */
async function readArg(
  workflow: Workflow,
  fromTrigger: Record<string, unknown>,
  name: string,
): Promise<string | undefined> {
  const given = fromTrigger[name];
  if ((typeof given === 'string' && given.trim() !== '') || typeof given === 'number') return String(given).trim();
  const value = await workflow.getVar(name).catch(() => undefined);
  return value === undefined || value === null || value.trim() === '' ? undefined : value.trim();
}
