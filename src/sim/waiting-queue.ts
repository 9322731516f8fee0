import { SimulatorError, SimulatorErrorCode } from './wire';

/**
 * Items handed out in order, each once: `next()` takes the oldest item not yet taken, or waits
 * for the next one pushed, up to a timeout.
 */
export class WaitingQueue<T> {
  private readonly items: T[] = [];
  private taken = 0;
  private readonly waiters: Array<{ resolve: (item: T) => void; reject: (error: Error) => void }> = [];

  push(item: T): void {
    this.items.push(item);
    const waiter = this.waiters.shift();
    if (waiter === undefined) return;
    this.taken += 1;
    waiter.resolve(item);
  }

  /** The oldest item not yet taken; rejects with `sim-timeout` and `timeoutMessage` after `timeoutMs`. */
  next(timeoutMs: number, timeoutMessage: () => string): Promise<T> {
    const ready = this.items[this.taken];
    if (ready !== undefined) {
      this.taken += 1;
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new SimulatorError(SimulatorErrorCode.TIMEOUT, timeoutMessage()));
      }, timeoutMs);
      const waiter = {
        resolve: (item: T) => {
          clearTimeout(timer);
          resolve(item);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Rejects every waiting `next()` with `error`. */
  rejectWaiting(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}
