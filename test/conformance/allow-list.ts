import type { Frame } from '../helpers/relay-peer';

/**
 * The deliberate differences from @relaypro/sdk 2.4.0 that the conformance script can see. Each
 * names the places it shows up and the exact value on each side; everything else must be equal.
 * the deviations section of docs/sdk-differences.md has a heading for every `id`, and no other (a test checks that).
 */
export interface Deviation {
  /** Also the heading of its section in docs/sdk-differences.md. */
  id: string;
  reason: string;
  /** Return values of script steps. */
  results?: Array<{ step: string; sdk: unknown; ours: unknown }>;
  /** A field of a frame the workflow sent. */
  wire?: Array<{ find: (frame: Frame) => boolean; field: string; sdk: unknown; ours: unknown }>;
  /** A field of an event payload, as a handler received it. `index` is the report's position. */
  events?: Array<{ index: number; path: string[]; sdk: unknown; ours: unknown }>;
}

/** 2.4.0 destructures the response; with no fields it is undefined, hence a TypeError. */
const typeError = expect.stringMatching(/^Cannot (destructure|read properties)/);

export const ALLOW_LIST: Deviation[] = [
  {
    id: 'empty-responses',
    reason: '2.4.0 throws a TypeError when a response has no fields; we return the request id (say/play) or undefined',
    results: [
      { step: 'say:no-id', sdk: { error: typeError }, ours: '<id:5>' },
      { step: 'getDeviceName:empty', sdk: { error: typeError }, ours: '<undefined>' },
      { step: 'getUnreadInboxSize:empty', sdk: { error: typeError }, ours: '<undefined>' },
      { step: 'translate:empty', sdk: { error: typeError }, ours: '<undefined>' },
    ],
  },
  {
    id: 'arrays-kept',
    reason: '2.4.0\'s JSON reviver turns [] into "" and arrays of small integers into strings; we leave arrays alone',
    results: [
      { step: 'getGroupMembers:empty', sdk: '', ours: [] },
      { step: 'getDeviceLatLong:integers', sdk: '#P', ours: [35, 80] },
    ],
    events: [
      // The notification event's report (see EVENT_STEPS): its empty lists.
      { index: 10, path: ['payload', 'notification_state', 'cancelled'], sdk: '', ours: [] },
      { index: 10, path: ['payload', 'notification_state', 'timed_out'], sdk: '', ours: [] },
    ],
  },
  {
    id: 'group-member-encoded-once',
    reason: '2.4.0 parses names without decoding, then encodes again: `Security One` went out as Security%2520One',
    wire: [
      {
        find: (frame) => frame.query === 'is_member' && String(frame.group_uri).includes('Security%'),
        field: 'group_uri',
        sdk: 'urn:relay-resource:name:group:Security%2520One?device=urn%3Arelay-resource%3Aname%3Adevice%3AJim%252520Bob',
        ours: 'urn:relay-resource:name:group:Security%20One?device=urn%3Arelay-resource%3Aname%3Adevice%3AJim%2520Bob',
      },
    ],
  },
  {
    id: 'clear-target-errors',
    reason: 'same code as 2.4.0, plus what was wrong and what a target looks like',
    results: [
      {
        step: 'badTarget',
        sdk: { error: 'invalid-target-uris' },
        ours: {
          error: expect.stringMatching(
            /^invalid-target-uris: a target must be a urn:relay-resource: URN .*"not-a-urn"/,
          ),
        },
      },
    ],
  },
];

const PLACEHOLDER = (id: string) => `<deviation ${id}>`;

/**
 * Checks every allow-listed place holds exactly the value the list names for `side`, then puts
 * a placeholder there, so that the two sides can be compared whole.
 */
export function applyAllowList(
  side: 'sdk' | 'ours',
  run: { transcript: Frame[]; results: Record<string, unknown>; events: unknown[] },
): void {
  for (const deviation of ALLOW_LIST) {
    for (const entry of deviation.results ?? []) {
      expect({ [entry.step]: run.results[entry.step] }).toEqual({ [entry.step]: entry[side] });
      run.results[entry.step] = PLACEHOLDER(deviation.id);
    }
    for (const entry of deviation.wire ?? []) {
      const frames = run.transcript.filter(entry.find);
      expect(frames.map((frame) => frame[entry.field])).toEqual([entry[side]]);
      (frames[0] as Frame)[entry.field] = PLACEHOLDER(deviation.id);
    }
  }
  applyEventAllowList(side, run.events);
}

/** The part of {@link applyAllowList} for event payloads. */
export function applyEventAllowList(side: 'sdk' | 'ours', events: unknown[]): void {
  for (const deviation of ALLOW_LIST) {
    for (const entry of deviation.events ?? []) {
      const parent = entry.path
        .slice(0, -1)
        .reduce<Record<string, unknown>>(
          (node, key) => node[key] as Record<string, unknown>,
          events[entry.index] as Record<string, unknown>,
        );
      const key = entry.path.at(-1) as string;
      expect({ [key]: parent[key] }).toEqual({ [key]: entry[side] });
      parent[key] = PLACEHOLDER(deviation.id);
    }
  }
}
