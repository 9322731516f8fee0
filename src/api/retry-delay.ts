/** First backoff step; attempt n waits up to BASE_MS * 2^(n-1), capped at MAX_BACKOFF_MS. */
const BASE_MS = 250;
const MAX_BACKOFF_MS = 5_000;
/** The longest `Retry-After` honoured; a longer one is waited for this long only. */
export const MAX_RETRY_AFTER_MS = 30_000;

/**
 * How long to wait before the attempt after `attempt` (1-based): Relay's `Retry-After` if it sent
 * one (capped), otherwise exponential backoff with full jitter (a random share of the step), so
 * many dynos retrying at once do not arrive together.
 */
export function retryDelayMs(
  attempt: number,
  retryAfter: string | null,
  random: () => number,
  now = Date.now(),
): number {
  const asked = parseRetryAfterMs(retryAfter, now);
  if (asked !== undefined) return Math.min(asked, MAX_RETRY_AFTER_MS);
  const step = Math.min(MAX_BACKOFF_MS, BASE_MS * 2 ** (attempt - 1));
  return Math.floor(Math.max(0, Math.min(1, random())) * step);
}

/** `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function parseRetryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP-date names its day and month; this also keeps Date.parse from reading "-5" as a year.
  if (trimmed.length > 64 || !/[A-Za-z]{3}/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
