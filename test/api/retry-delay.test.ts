import { MAX_RETRY_AFTER_MS, parseRetryAfterMs, retryDelayMs } from '../../src/api/transport';

describe('retryDelayMs and Retry-After', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');

  it('reads Retry-After as seconds or as an HTTP-date', () => {
    expect(parseRetryAfterMs('3', now)).toBe(3000);
    expect(parseRetryAfterMs(' 0 ', now)).toBe(0);
    expect(parseRetryAfterMs('Mon, 30 Nov 2026 12:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfterMs('Mon, 30 Nov 2026 11:59:00 GMT', now)).toBe(0); // in the past: now
  });

  it('ignores an absent or unreadable Retry-After', () => {
    expect(parseRetryAfterMs(null, now)).toBeUndefined();
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs('-5', now)).toBeUndefined();
    expect(parseRetryAfterMs('x'.repeat(100), now)).toBeUndefined();
  });

  it('prefers Retry-After, capped at 30 s, over backoff', () => {
    expect(retryDelayMs(1, '2', () => 0.99, now)).toBe(2000);
    expect(retryDelayMs(1, 'Tue, 01 Dec 2026 12:00:00 GMT', () => 0.99, now)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('backs off exponentially with full jitter, capped at 5 s', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, null, () => 1, now))).toEqual([250, 500, 1000, 2000]);
    expect(retryDelayMs(10, null, () => 1, now)).toBe(5000);
    expect(retryDelayMs(3, null, () => 0, now)).toBe(0);
    expect(retryDelayMs(3, null, () => 0.5, now)).toBe(500);
  });
});
