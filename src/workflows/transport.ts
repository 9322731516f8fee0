import { randomBytes } from 'node:crypto';
import { createWorkflow, Event, type Registration, type Unsubscribe } from '../index';
import { postDispatchRequest } from './post-dispatch-request';
import { isTransportUpdate, spokenUpdate, type TransportUpdate } from './transport-update';

/** Registered on the phrase "request transport"; `give_up_after_secs` bounds the wait for dispatch. */
export const registration: Registration = {
  description:
    'Transport request: asks which room, sends the request to the dispatch system, and speaks its updates until the transport arrives.',
  trigger: { type: 'phrase', phrases: ['request transport'] },
  args: { give_up_after_secs: 600 },
};

const TIMER = 'transport give up';
const DEFAULT_GIVE_UP_SECS = 600;

/** Where the request stands. Handlers run one at a time, so each reads and moves it without races. */
type Phase = 'starting' | 'waiting' | 'done';

/**
 * A transport request, after Relay's hospital app. The wearer says "request transport"; the
 * workflow asks which room, makes a request id, POSTs `{request_id, room, device}` to the
 * dispatch system (DISPATCH_WEBHOOK_URL, handed over as `workflow.settings.dispatchWebhookUrl`),
 * and listens on the session bus for `transport:<request id>`. The dispatch system answers through
 * the app's `POST /hooks/transport/<request id>` route, from any dyno, with `{status: "assigned" |
 * "arriving" | "cancelled", eta_minutes?, by?}`: "assigned" is spoken and the wait goes on,
 * "arriving" and "cancelled" are spoken and end the conversation. A double tap cancels; after
 * `give_up_after_secs` without arrival the wearer hears that nobody came.
 *
 * Logs name the request id (as `transportRequest`, like the hook's line; `requestId` is Heroku's
 * request id on every session line) and outcome only: never the room or anything said.
 */
export default createWorkflow((workflow) => {
  let phase: Phase = 'starting';
  let device = '';
  let interaction = '';
  let requestId = '';
  let timerSet = false;
  let unsubscribe: Unsubscribe | undefined;

  /** Says `line`, ends the interaction and terminates; `outcome` goes to the log (never the line). */
  async function finish(outcome: string, line: string): Promise<void> {
    phase = 'done';
    unsubscribe?.();
    if (timerSet) await workflow.clearTimer(TIMER).catch(() => undefined);
    timerSet = false;
    workflow.log.info({ transportRequest: requestId || undefined, outcome }, 'transport request ended');
    if (interaction !== '') {
      await workflow
        .sayAndWait(interaction, line)
        .catch((err: unknown) => workflow.log.warn({ err }, 'could not tell the wearer'));
      await workflow.endInteraction(interaction, 'transport').catch(() => undefined);
    }
    await workflow.terminate();
  }

  async function onUpdate(update: TransportUpdate): Promise<void> {
    if (phase !== 'waiting') return;
    workflow.log.info({ transportRequest: requestId, status: update.status }, 'transport update');
    const line = spokenUpdate(update);
    if (update.status === 'assigned') {
      await workflow.say(interaction, line);
      return;
    }
    await finish(update.status, line);
  }

  workflow.on(Event.START, async ({ trigger }) => {
    device = trigger.args.source_uri;
    await workflow.startInteraction([device], 'transport');
  });

  workflow.on(Event.INTERACTION_STARTED, async ({ source_uri }) => {
    if (phase !== 'starting' || interaction !== '') return;
    interaction = source_uri;
    await workflow.sayAndWait(interaction, 'Which room?');
    const { text } = await workflow.listen(interaction);
    const room = text.trim().slice(0, 100);
    if (room === '') return finish('no room heard', 'I did not hear a room. Say request transport to try again.');
    const giveUpSecs = await readGiveUpSecs();
    requestId = randomBytes(3).toString('hex');
    // Subscribed before the request goes out: the dispatch system may answer at once.
    unsubscribe = workflow.subscribe(`transport:${requestId}`, onUpdate, { accept: isTransportUpdate });
    await workflow.setTimer('timeout', TIMER, giveUpSecs, 'secs');
    timerSet = true;
    const url = workflow.settings.dispatchWebhookUrl;
    if (url === undefined) {
      workflow.log.warn(
        { transportRequest: requestId },
        `DISPATCH_WEBHOOK_URL is not set: the transport request goes nowhere; post its updates to /hooks/transport/${requestId} by hand`,
      );
      phase = 'waiting';
      await workflow.say(interaction, `No dispatch system is set up. Your request number is ${spell(requestId)}.`);
      return;
    }
    const sent = await postDispatchRequest(url, { request_id: requestId, room, device });
    if (!sent.ok) {
      workflow.log.warn(
        { transportRequest: requestId, attempts: sent.attempts, reason: sent.reason },
        'the dispatch system could not be reached',
      );
      return finish('dispatch unreachable', 'I could not reach the dispatch system. Please call for transport.');
    }
    workflow.log.info({ transportRequest: requestId, attempts: sent.attempts }, 'transport request sent');
    phase = 'waiting';
    await workflow.say(
      interaction,
      `Transport requested for room ${room}. I will tell you when it is assigned. Double tap to cancel.`,
    );
  });

  workflow.on(Event.TIMER_FIRED, async ({ name }) => {
    if (name !== TIMER || phase !== 'waiting') return;
    timerSet = false;
    await finish('gave up', 'No transport has arrived. Please call dispatch.');
  });

  workflow.on(Event.BUTTON, async ({ taps }) => {
    if (phase !== 'waiting' || taps !== 'double') return;
    await finish('cancelled by the wearer', 'Transport request cancelled.');
  });

  // Anything unexpected (a failed say, a lost response): the wearer must not be left in silence.
  workflow.on(Event.ERROR, async () => {
    if (phase === 'done') return;
    await finish('failed', 'Something went wrong with the transport request. Please call dispatch.').catch(
      () => undefined,
    );
  });

  /** `give_up_after_secs`, or the default when it is unset, unreadable or not a positive number. */
  async function readGiveUpSecs(): Promise<number> {
    const value = Number(
      await workflow.getVar('give_up_after_secs', String(DEFAULT_GIVE_UP_SECS)).catch(() => undefined),
    );
    return Number.isFinite(value) && value > 0 ? Math.min(value, 86_400) : DEFAULT_GIVE_UP_SECS;
  }
});

/** "3f9a1c" as "3 f 9 a 1 c", so that text-to-speech reads it out character by character. */
function spell(id: string): string {
  return id.split('').join(' ');
}
