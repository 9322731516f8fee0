/**
 * A token bucket: up to `capacity` events at once, refilled at `perSecond`. Used for what a real
 * Relay server sends rarely (frames nobody uses, pings): a burst passes, a flood does not.
 */
export class RateLimit {
  private tokens: number;
  private checkedAt = Date.now();

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
  ) {
    this.tokens = capacity;
  }

  /** Spends one token; false when none was left. */
  spend(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.checkedAt) / 1000) * this.perSecond);
    this.checkedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
