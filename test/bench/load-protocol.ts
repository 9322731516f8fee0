/** The commands the bench sends its load process over IPC, and the replies. */

/** How the simulator paces its frames; the same for both servers in a phase. */
export interface Pacing {
  /** The simulator's `promptGapMs`. */
  gapMs: number;
  /** Write each response and its events in one TCP write (the simulator's `together`). */
  together: boolean;
  /** A session that has not ended this long after it started counts as failed. */
  timeoutMs: number;
}

export type LoadCommand =
  /**
   * Runs `sessions` hello sessions, `concurrency` at a time. `vars` are the registration args the
   * simulator serves to get_var; with `timeStart`, the reply has each session's start time.
   */
  | ({
      cmd: 'run';
      url: string;
      sessions: number;
      concurrency: number;
      vars?: Record<string, string>;
      timeStart?: boolean;
    } & Pacing)
  /** Opens `count` more sessions and keeps each waiting in `listen`; replies once all are there. */
  | ({ cmd: 'hold'; url: string; count: number } & Pacing)
  /** Answers every held session's `listen` and replies once they have all ended. */
  | { cmd: 'release' }
  /** Runs one session, retrying every `retryMs` until the server listens, for at most `deadlineMs`. */
  | ({ cmd: 'boot'; url: string; retryMs: number; deadlineMs: number } & Pacing)
  /** Opens `count` transport conversations on `url` and replies once each listens for its room. */
  | ({ cmd: 'transport-open'; url: string; count: number } & Pacing)
  /** Answers every open transport conversation's room; replies once each waits for dispatch (subscribed). */
  | { cmd: 'transport-wait' }
  /** Posts `publishes` updates to `hookBase`'s transport hook, one at a time, timing each until it is spoken. */
  | { cmd: 'bus-latency'; hookBase: string; secret: string; publishes: number }
  /** Ends every transport conversation (double tap) and replies once all have ended. */
  | { cmd: 'transport-end' };

export interface RunReply {
  completed: number;
  failed: number;
  wallMs: number;
  /** Duration of every completed session, ms. */
  durations: number[];
  /**
   * With `timeStart`: for every completed session, ms from the start event leaving the simulator
   * to the workflow's first action (start_interaction) reaching it.
   */
  startMs?: number[];
}

export interface HoldReply {
  held: number;
  failed: number;
}

export interface ReleaseReply {
  completed: number;
  failed: number;
}

export interface BootReply {
  ok: boolean;
  attempts: number;
}

export interface TransportReply {
  ok: number;
  failed: number;
}

export interface BusLatencyReply {
  /** POST sent to say frame received, ms, per update spoken. */
  spokenMs: number[];
  /** POST sent to its 202 received, ms, per update spoken. */
  answeredMs: number[];
  /** Updates not answered 202 or not spoken within 5 s. */
  failed: number;
}

export type LoadReply = RunReply | HoldReply | ReleaseReply | BootReply | TransportReply | BusLatencyReply;

/** An envelope either way: the reply carries the id of its command, or an error. */
export interface Envelope<T> {
  id: number;
  body?: T;
  error?: string;
}
