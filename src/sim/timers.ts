import type { Frame } from '../relay/frame';

/** A timer the workflow set: a named one (`set_timer`) or the unnamed one (`start_timer`). */
export interface SimTimer {
  name?: string;
  /** `timeout` fires once, `interval` repeats; `start_timer` timers repeat. */
  type: 'timeout' | 'interval';
  /** Real delay between firings, after the speed-up. */
  delayMs: number;
  fired: number;
  /** Cleared by `clear_timer`/`stop_timer` (or by the simulator closing). */
  cleared: boolean;
}

const UNIT_MS: Record<string, number> = { ms: 1, secs: 1_000, mins: 60_000, hrs: 3_600_000 };

/** Milliseconds for a `set_timer` timeout and its `timeout_type` (seconds when absent, as the SDKs assume). */
export function timerDelayMs(timeout: unknown, timeoutType: unknown, speedup: number): number {
  const unit = UNIT_MS[typeof timeoutType === 'string' ? timeoutType : 'secs'] ?? 1_000;
  const amount = typeof timeout === 'number' && Number.isFinite(timeout) && timeout >= 0 ? timeout : 60;
  return Math.max(0, (amount * unit) / speedup);
}

/**
 * The simulated Relay server's timers for one session: named ones from `set_timer` and the
 * unnamed one from `start_timer`. `clearAll` releases every Node timer, so nothing outlives the session.
 */
export class SimTimers {
  readonly all: SimTimer[] = [];
  private readonly live = new Map<string, { record: SimTimer; handle: NodeJS.Timeout }>();

  /** (Re)starts the timer keyed `key`; `fire` runs on every firing. */
  start(key: string, record: Omit<SimTimer, 'fired' | 'cleared'>, fire: (timer: SimTimer) => void): SimTimer {
    this.clear(key);
    const timer: SimTimer = { ...record, fired: 0, cleared: false };
    this.all.push(timer);
    const onFire = () => {
      timer.fired += 1;
      if (timer.type === 'timeout') this.live.delete(key);
      fire(timer);
    };
    const handle =
      timer.type === 'interval' ? setInterval(onFire, Math.max(1, timer.delayMs)) : setTimeout(onFire, timer.delayMs);
    this.live.set(key, { record: timer, handle });
    return timer;
  }

  /** Stops the timer keyed `key`; true if one was running. */
  clear(key: string): boolean {
    const entry = this.live.get(key);
    if (entry === undefined) return false;
    clearTimeout(entry.handle);
    clearInterval(entry.handle);
    entry.record.cleared = true;
    this.live.delete(key);
    return true;
  }

  /**
   * Acts on a timer request as the Relay server does: `set_timer` (re)starts a named timer that
   * fires `wf_api_timer_fired_event {name}` once (`timeout`) or repeatedly (`interval`);
   * `clear_timer` stops it; `start_timer` starts the unnamed timer that fires `wf_api_timer_event`
   * every `timeout` seconds until `stop_timer`. `emit` gets each event and its device log line.
   */
  answer(action: string, request: Frame, speedup: number, emit: (event: Frame, line: string) => void): void {
    if (action === 'set_timer') {
      const name = String(request.name);
      const type = request.type === 'interval' ? 'interval' : 'timeout';
      const delayMs = timerDelayMs(request.timeout, request.timeout_type, speedup);
      this.start(`named:${name}`, { name, type, delayMs }, () =>
        emit({ _type: 'wf_api_timer_fired_event', name }, `timer "${name}" fires`),
      );
    } else if (action === 'clear_timer') {
      this.clear(`named:${String(request.name)}`);
    } else if (action === 'start_timer') {
      const delayMs = timerDelayMs(request.timeout, 'secs', speedup);
      this.start('unnamed', { type: 'interval', delayMs }, () => emit({ _type: 'wf_api_timer_event' }, 'timer ticks'));
    } else if (action === 'stop_timer') {
      this.clear('unnamed');
    }
  }

  clearAll(): void {
    for (const key of [...this.live.keys()]) this.clear(key);
  }
}
