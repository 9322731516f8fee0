import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Frame, RelayPeer } from './relay-peer';

export const DEVICE = 'urn:relay-resource:name:device:Ana%27s%20badge';

export interface RelayScript {
  /** Answers to `listen`, in order. */
  answers?: string[];
  /** Workflow variables (registration args) served to `get_var`. */
  vars?: Record<string, string>;
  /** Write each response and the events it causes in one TCP write. */
  together?: boolean;
  /** Called for every frame the workflow sends; return `true` to leave it unanswered. */
  intercept?: (frame: Frame) => boolean | void;
}

export interface RelayRun {
  /** Everything the device was asked to say, in order. */
  says: string[];
  /** Every `_type` the workflow sent, in order. */
  types: string[];
}

export function startEvent(source = DEVICE): Frame {
  return { _type: 'wf_api_start_event', trigger: { type: 'phrase', args: { phrase: 'hello', source_uri: source } } };
}

export function interactionUri(name: string, device = DEVICE): string {
  return `urn:relay-resource:name:interaction:${encodeURIComponent(name)}?device=${encodeURIComponent(device)}`;
}

/**
 * Plays the Relay server's side of a session until the workflow terminates: sends the start
 * event, answers every request the way the Relay server does (protocol doc, sections 6 and 9),
 * then sends `stop` and closes.
 */
export async function serveLikeRelay(peer: RelayPeer, script: RelayScript = {}): Promise<RelayRun> {
  const answers = [...(script.answers ?? ['Ana'])];
  const run: RelayRun = { says: [], types: [] };
  let interaction = '';
  peer.send(startEvent());
  for (;;) {
    const frame = await peer.next();
    run.types.push(frame._type);
    if (script.intercept?.(frame) === true) continue;
    const respond = async (body: Record<string, unknown>, ...events: Frame[]) => {
      const response: Frame = { _id: frame._id, _type: frame._type.replace(/_request$/, '_response'), ...body };
      if (script.together === true) {
        peer.sendTogether([response, ...events]);
        return;
      }
      peer.send(response);
      for (const event of events) {
        await nextTurn();
        peer.send(event);
      }
    };
    switch (frame._type) {
      case 'wf_api_start_interaction_request':
        interaction = interactionUri(String(frame.name));
        await respond({}, lifecycle('started', interaction), lifecycle('resumed', interaction));
        break;
      case 'wf_api_say_request':
        run.says.push(String(frame.text));
        await respond({ id: frame._id }, prompt('started', frame, interaction), prompt('stopped', frame, interaction));
        break;
      case 'wf_api_listen_request':
        await respond({}, { _type: 'wf_api_speech_event', request_id: frame._id, text: answers.shift() ?? '', lang: 'en-US', source_uri: interaction });
        break;
      case 'wf_api_get_var_request': {
        const value = script.vars?.[String(frame.name)];
        await respond(value === undefined ? {} : { value });
        break;
      }
      case 'wf_api_terminate_request':
        peer.send({ _type: 'wf_api_stop_event', reason: 'normal' });
        await peer.close();
        return run;
      default:
        await respond({});
    }
  }
}

function lifecycle(type: string, uri: string): Frame {
  return { _type: 'wf_api_interaction_lifecycle_event', type, source_uri: uri };
}

function prompt(type: string, request: Frame, uri: string): Frame {
  return { _type: 'wf_api_prompt_event', type, id: request._id, source_uri: uri };
}
