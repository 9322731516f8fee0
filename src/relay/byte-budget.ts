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
