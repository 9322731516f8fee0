/** An update from the dispatch system, as its webhook posts it (checked by {@link isTransportUpdate}). */
export interface TransportUpdate {
  status: 'assigned' | 'arriving' | 'cancelled';
  /** Minutes until the transport is there (0 to 1440). */
  eta_minutes?: number;
  /** Who is coming, as it should be spoken (1 to 100 characters). */
  by?: string;
}

const STATUSES: ReadonlySet<string> = new Set(['assigned', 'arriving', 'cancelled']);

/** Whether `data` is a {@link TransportUpdate}; it comes from another system, so every field is checked. */
export function isTransportUpdate(data: unknown): data is TransportUpdate {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const status = Object.hasOwn(data, 'status') ? (data as { status: unknown }).status : undefined;
  if (typeof status !== 'string' || !STATUSES.has(status)) return false;
  const eta = Object.hasOwn(data, 'eta_minutes') ? (data as { eta_minutes: unknown }).eta_minutes : undefined;
  if (eta !== undefined && !(Number.isInteger(eta) && (eta as number) >= 0 && (eta as number) <= 1440)) return false;
  const by = Object.hasOwn(data, 'by') ? (data as { by: unknown }).by : undefined;
  return (
    by === undefined || (typeof by === 'string' && by.trim().length > 0 && by.length <= 100 && !/\p{Cc}/u.test(by))
  );
}

/** The line the wearer hears: "Transport assigned: Bob, about 5 minutes." */
export function spokenUpdate({ status, eta_minutes: eta, by }: TransportUpdate): string {
  const who = by?.trim();
  const when = eta === undefined ? '' : eta === 0 ? 'now' : `about ${eta} ${eta === 1 ? 'minute' : 'minutes'}`;
  if (status === 'assigned')
    return `Transport assigned${[who, when].some(Boolean) ? `: ${[who, when].filter(Boolean).join(', ')}` : ''}.`;
  if (status === 'arriving') return `Your transport is arriving${who === undefined ? '' : `: ${who}`}.`;
  return 'The dispatch system cancelled your transport request.';
}

/**
 * The JSON schema of a {@link TransportUpdate} body, for the webhook route: the same rules as
 * {@link isTransportUpdate}, so a bad body is a 400 naming its field before anything is published
 * (the session checks again on arrival: the bus carries data from any dyno). Unknown fields are dropped.
 */
export const TRANSPORT_UPDATE_SCHEMA = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: [...STATUSES] },
    eta_minutes: { type: 'integer', minimum: 0, maximum: 1440 },
    // Not all spaces, no control characters (linear to match); at most 100 UTF-16 units is checked by isTransportUpdate.
    by: { type: 'string', minLength: 1, maxLength: 100, pattern: '^(?!\\s*$)[^\\p{Cc}]*$' },
  },
  additionalProperties: false,
} as const;
