import type { Logger } from 'pino';

/**
 * The runtime's limits in one place: how long actions wait, how fast a peer may send what nobody
 * uses, how much a session's queue may hold, and the byte accounting behind MAX_BUFFERED_BYTES.
 */

/** The SDK's waits, kept as defaults so that workflows behave as they did on `@relaypro/sdk`. */
export const Timeouts = {
  /** Wait for any `_response`. */
  RESPONSE_MS: 5_000,
  /** Wait for an event an action announced (prompt `stopped`, `stop` after terminate). */
  EVENT_MS: 32_000,
  /** Wait for a refreshed device info response. */
  REFRESH_MS: 45_000,
  /** Wait for a notification (broadcast, alert...) response. */
  NOTIFICATION_MS: 60_000,
} as const;

/** A peer that does not answer the server's close frame within this long is cut off, so it stops holding a place. */
export const CLOSE_HANDSHAKE_MS = 2_000;

/**
 * Frames nobody uses (unknown or unhandled events, stray responses, events before `start`):
 * a burst of 100 passes, then 10 a second. A real Relay server sends a few such frames a minute;
 * a peer over the rate is closed with 1008.
 */
const IGNORED_BURST = 100;
const IGNORED_PER_SECOND = 10;

/** How many ignored frames a session logs at warn; later ones are only counted, in `session closed`. */
const WARNED_IGNORED_FRAMES = 5;

/**
 * Events of names Relay sends that the workflow has no handler for (prompt and lifecycle events
 * of every device in a group interaction, say): a budget of their own, ten times larger, so a
 * broadcast to a few hundred badges does not look like a flood.
 */
export const UNHANDLED_BURST = 1_000;
export const UNHANDLED_PER_SECOND = 100;

/** Pings from the peer: the Relay server answers ours and rarely sends its own. */
export const PING_BURST = 50;
export const PING_PER_SECOND = 5;

/**
 * Events waiting behind a running handler, however small. The Relay server sends a handful at a
 * time; together with MAX_QUEUED_BYTES this bounds what a session's queue holds.
 */
export const MAX_QUEUED_EVENTS = 2_048;

/** Longest piece of a peer's value (such as a `_type`) quoted in a log line. */
export const LOGGED_CHARS = 100;

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

/**
 * The frames of one session that nobody uses, counted (the first few logged at warn) and limited
 * to a rate. The session counts stray frames here, its dispatcher the events of names no handler
 * and no Relay server knows.
 */
export class IgnoredFrames {
  /** How many there were; `session closed` reports it. */
  count = 0;
  private readonly rate = new RateLimit(IGNORED_BURST, IGNORED_PER_SECOND);

  constructor(private readonly log: Logger) {}

  /**
   * Counts one ignored frame of `type`; returns the problem to close the session with when the
   * peer sends them faster than a Relay server would, undefined otherwise.
   */
  note(type: string, message: string, missing?: string): string | undefined {
    if (++this.count <= WARNED_IGNORED_FRAMES) this.log.warn({ type: type.slice(0, LOGGED_CHARS), missing }, message);
    return this.rate.spend() ? undefined : 'too many frames that are not part of this session';
  }
}

/** What the budget asks of a session that holds the most bytes when the process is over its limit. */
export interface Sheddable {
  shed(): void;
}

/**
 * MAX_BUFFERED_BYTES: the bytes a process holds for its peers, summed over every session: messages
 * still arriving and events queued behind a busy handler. Each session counts its bytes in its own
 * {@link SessionBytes}; when the total is over the limit, {@link overdrawn} names the session
 * holding the most (a peer that floods is that one), and the caller sheds it.
 */
export class ByteBudget {
  private buffered = 0;
  private readonly accounts = new Set<SessionBytes>();

  /** `maxBufferedBytes` may be Infinity: the bytes are counted, nobody is shed. */
  constructor(readonly maxBufferedBytes: number) {}

  /** Bytes all sessions hold now. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Opens the account of one session; `owner` is what {@link overdrawn} names when it holds the most. */
  open(owner: Sheddable): SessionBytes {
    const account = new SessionBytes(this, owner);
    this.accounts.add(account);
    return account;
  }

  /** Whether `bytes` more would keep the process within MAX_BUFFERED_BYTES. */
  fits(bytes: number): boolean {
    return this.buffered + bytes <= this.maxBufferedBytes;
  }

  /** Over MAX_BUFFERED_BYTES: the session holding the most bytes, to be shed; undefined otherwise. */
  overdrawn(): Sheddable | undefined {
    if (this.buffered <= this.maxBufferedBytes) return undefined;
    let largest: SessionBytes | undefined;
    for (const account of this.accounts) {
      if (largest === undefined || account.bufferedBytes > largest.bufferedBytes) largest = account;
    }
    return largest !== undefined && largest.bufferedBytes > 0 ? largest.owner : undefined;
  }

  /** @internal Counts bytes a session took (positive) or gave back (negative); the total never drops below 0. */
  add(bytes: number): void {
    this.buffered = Math.max(0, this.buffered + bytes);
  }

  /** @internal A closed session's account leaves the budget. */
  remove(account: SessionBytes): void {
    this.accounts.delete(account);
  }
}

/**
 * The bytes one session holds in the process's {@link ByteBudget}: a message still arriving (counted
 * off the raw connection, before `ws` has a whole message) and events queued behind its running
 * handler (the bytes MAX_QUEUED_BYTES limits).
 */
export class SessionBytes {
  private arriving = 0;
  private queued = 0;

  constructor(
    private readonly budget: ByteBudget,
    readonly owner: Sheddable,
  ) {}

  /** Bytes this session holds now. */
  get bufferedBytes(): number {
    return this.arriving + this.queued;
  }

  /** Bytes of events waiting behind the running handler. */
  get queuedBytes(): number {
    return this.queued;
  }

  /** Whether `bytes` more would keep the process within MAX_BUFFERED_BYTES. */
  fits(bytes: number): boolean {
    return this.budget.fits(bytes);
  }

  /** Over MAX_BUFFERED_BYTES: the session holding the most bytes (maybe this one), to be shed. */
  overdrawn(): Sheddable | undefined {
    return this.budget.overdrawn();
  }

  /** Bytes read off the connection, not yet part of a whole message. */
  arrived(bytes: number): void {
    this.arriving += bytes;
    this.budget.add(bytes);
  }

  /** A whole message (or control frame) of `payloadBytes` arrived: its bytes are no longer in flight. */
  consumed(payloadBytes: number): void {
    const bytes = Math.min(this.arriving, payloadBytes + frameOverhead(payloadBytes));
    this.arriving -= bytes;
    this.budget.add(-bytes);
  }

  /** An event of `bytes` waits behind the running handler. */
  queue(bytes: number): void {
    this.queued += bytes;
    this.budget.add(bytes);
  }

  /** A queued event's turn came (or it was dropped). */
  dequeue(bytes: number): void {
    this.queued -= bytes;
    this.budget.add(-bytes);
  }

  /** Gives back everything this session holds (it is ending, and its peer is read no further). */
  release(): void {
    this.budget.add(-(this.arriving + this.queued));
    this.arriving = 0;
    this.queued = 0;
  }

  /** Gives back everything and leaves the budget: the session has closed. */
  close(): void {
    this.release();
    this.budget.remove(this);
  }
}

/** Bytes a client-to-server WebSocket frame adds to its payload: header, length and mask. */
function frameOverhead(payloadBytes: number): number {
  return (payloadBytes < 126 ? 2 : payloadBytes < 65_536 ? 4 : 10) + 4;
}
