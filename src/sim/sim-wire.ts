import WebSocket from 'ws';
import type { Frame } from '../relay/frame';
import { responseTo } from './relay-frames';
import type { TranscriptEntry } from './simulation-records';
import { writeTogether } from './write-together';

export interface SimWireOptions {
  /** Milliseconds between a response and each event it causes. */
  gapMs: number;
  /** Write a response and its events in one TCP write instead. */
  together: boolean;
  onFrame?: (entry: TranscriptEntry) => void;
}

/**
 * The simulator's side of the socket: sends frames (apart, with gaps, or together in one TCP
 * write), records the transcript in both directions, and owns the gap timers so that
 * {@link release} leaves nothing scheduled.
 */
export class SimWire {
  readonly transcript: TranscriptEntry[] = [];
  private readonly startedAt = Date.now();
  private readonly gaps = new Set<NodeJS.Timeout>();
  private released = false;

  constructor(
    readonly socket: WebSocket,
    private readonly options: SimWireOptions,
  ) {}

  get open(): boolean {
    return !this.released && this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends one frame now (dropped once the socket has closed). */
  send(frame: Frame): void {
    if (!this.open) return;
    this.record('relay', frame);
    this.socket.send(JSON.stringify(frame));
  }

  /** Sends several frames in one TCP write. */
  sendTogether(frames: Frame[]): void {
    if (!this.open) return;
    frames.forEach((frame) => this.record('relay', frame));
    writeTogether(this.socket, frames);
  }

  /**
   * Sends the response to `request` with `body`, then each event after a gap (all in one write
   * in together mode). `onEvent` runs as each event goes out.
   */
  async respond(
    request: Frame,
    body: Record<string, unknown> = {},
    events: Frame[] = [],
    onEvent?: (event: Frame) => void,
  ): Promise<void> {
    const response = { ...responseTo(request), ...body };
    if (this.options.together) {
      if (!this.open) return;
      this.sendTogether([response, ...events]);
      events.forEach((event) => onEvent?.(event));
      return;
    }
    this.send(response);
    for (const event of events) {
      await this.gap();
      if (!this.open) return;
      onEvent?.(event);
      this.send(event);
    }
  }

  /** Waits `ms` (the configured gap by default). Never settles once {@link release} has run, so nothing follows a close. */
  gap(ms = this.options.gapMs): Promise<void> {
    return new Promise((resolve) => {
      if (this.released) return;
      const timer = setTimeout(() => {
        this.gaps.delete(timer);
        resolve();
      }, ms);
      this.gaps.add(timer);
    });
  }

  /** Records a frame in the transcript. */
  record(from: TranscriptEntry['from'], frame: Frame): void {
    const at = Date.now();
    const entry: TranscriptEntry = { from, at, elapsedMs: at - this.startedAt, frame };
    this.transcript.push(entry);
    this.options.onFrame?.(entry);
  }

  /** Cancels every pending gap; later sends are dropped. */
  release(): void {
    this.released = true;
    for (const timer of this.gaps) clearTimeout(timer);
    this.gaps.clear();
  }
}
