import type { SimTimer } from './simulation-records';

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
    const handle = timer.type === 'interval' ? setInterval(onFire, Math.max(1, timer.delayMs)) : setTimeout(onFire, timer.delayMs);
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

  clearAll(): void {
    for (const key of [...this.live.keys()]) this.clear(key);
  }
}
