/**
 * Bytes a process holds for its peers: messages still arriving and events queued behind a busy
 * handler, summed over every session. Sessions take from it as bytes come in and give back as they
 * are handled or the session ends; {@link take} says when the process is over its limit, and the
 * WebSocket host then closes the session that holds the most (a peer that floods is that one).
 */
export class ByteBudget {
  private held = 0;

  constructor(readonly limit: number) {}

  /** Bytes held now, by every session together. */
  get used(): number {
    return this.held;
  }

  /** Counts `bytes` more; returns false when the total is now over the limit (the bytes are counted all the same). */
  take(bytes: number): boolean {
    this.held += bytes;
    return this.held <= this.limit;
  }

  /** Gives back bytes taken earlier. */
  give(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }
}

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
