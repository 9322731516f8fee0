import type { Frame } from '../relay/frame';

/** The bare response to a request: same `_id`, `_request` → `_response`. */
export function responseTo(request: Frame): Frame {
  return { _id: request._id, _type: request._type.replace(/_request$/, '_response') };
}

/** `wf_api_interaction_lifecycle_event` for an interaction URN. */
export function lifecycleEvent(type: 'started' | 'resumed' | 'ended', interaction: string): Frame {
  return { _type: 'wf_api_interaction_lifecycle_event', type, source_uri: interaction };
}

/**
 * `wf_api_prompt_event` for a say/play request. `id` is the request `_id`, which is also the
 * response's `id`: 2.4.0 matches on the response `id`, relay-py and relay-java on the request `_id`.
 */
export function promptEvent(type: 'started' | 'stopped', request: Frame, source: string): Frame {
  return { _type: 'wf_api_prompt_event', type, id: request._id, source_uri: source };
}

/**
 * The acknowledgements of a broadcast, alert or notify: one `wf_api_notification_event` per
 * acknowledging device, in order, each with the `notification_state` as of that acknowledgement.
 */
export function ackEvents(name: string, created: string[], acknowledgers: string[]): Frame[] {
  return acknowledgers.map((device, index) => ({
    _type: 'wf_api_notification_event',
    event: 'ack_event',
    name,
    source_uri: device,
    notification_state: { acknowledged: acknowledgers.slice(0, index + 1), created, cancelled: [], timed_out: [] },
  }));
}
