import type { Frame } from '../relay/frame';

/** Trigger types a Relay server starts workflows with (protocol doc section 4.2). */
export const TRIGGER_TYPES = [
  'phrase',
  'button',
  'http',
  'nfc',
  'emergency',
  'other',
  'calendar',
  'geofence',
  'telephony',
] as const;
export type SimTriggerType = (typeof TRIGGER_TYPES)[number];

/** What fired the workflow. Fields that do not apply to the type are ignored. */
export interface TriggerSpec {
  type: SimTriggerType;
  /** `phrase`: the spoken phrase (default `hello`). */
  phrase?: string;
  /** `button`: which tap (default single). */
  action?: 'action_button_single_tap' | 'action_button_double_tap' | 'action_button_triple_tap';
  /** `http`: the trigger's `action_args`, sent as `trigger.args.args`. */
  args?: Record<string, unknown>;
  /** `nfc`: tag uid and payload. */
  uid?: string;
  nfcPayload?: Record<string, unknown>;
  /** Overrides `source_uri` (the simulated device's URN by default). */
  sourceUri?: string;
}

/** A trigger type alone, or a full {@link TriggerSpec}. */
export type Trigger = SimTriggerType | TriggerSpec;

/** The `wf_api_start_event` the Relay server sends first, with no `_id`. */
export function buildStartEvent(trigger: Trigger, device: string): Frame {
  const spec: TriggerSpec = typeof trigger === 'string' ? { type: trigger } : trigger;
  const source_uri = spec.sourceUri ?? device;
  const args = ((): Record<string, unknown> => {
    switch (spec.type) {
      case 'phrase':
        return { phrase: spec.phrase ?? 'hello', source_uri };
      case 'button':
        return { action: spec.action ?? 'action_button_single_tap', source_uri };
      case 'http':
        return { args: spec.args ?? {}, source_uri };
      case 'nfc':
        return { uid: spec.uid ?? '04AABBCC', nfc_payload: spec.nfcPayload ?? {}, source_uri };
      default:
        return { source_uri };
    }
  })();
  return { _type: 'wf_api_start_event', trigger: { type: spec.type, args } };
}
