import { ERROR_RESPONSE, PROGRESS_EVENT, type Frame } from './frame';
import { RelayError, RelayErrorCode } from './errors';

/** What a response carries once `_id`, `_type` and `error` are removed; undefined when empty (as the SDK). */
export type ResponseBody = Record<string, unknown> | undefined;

interface ResponseWait {
  action: string;
  timeoutMs: number;
  timer: NodeJS.Timeout;
  resolve: (body: ResponseBody) => void;
  reject: (error: Error) => void;
}

/** The most frames one watch keeps while nobody waits on it; older ones are dropped first. */
const WATCH_BUFFER_LIMIT = 64;

/**
 * The most bytes (as they arrived) one watch keeps while nobody waits on it; older frames are
 * dropped first. One `speech` event with a minute of audio is about 2.6 MB, so one always fits.
 */
const WATCH_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * Collects events of one `_type` from the moment it is created, so that an event arriving in the
 * same TCP read as the response that announces it is not lost.
 * Create it before sending the request; call {@link until} once the response has told you what to
 * look for; {@link cancel} it if the request fails.
 */
export class EventWatch {
  private buffer: Frame[] = [];
  private sizes: number[] = [];
  private watchedBytes = 0;
  private failure?: Error;
  private waiting?: {
    matches: (frame: Frame) => boolean;
    timer: NodeJS.Timeout;
    resolve: (frame: Frame) => void;
    reject: (error: Error) => void;
  };

  /** `registry` is the set of open watches this one leaves when it is done. */
  constructor(
    readonly type: string,
    private readonly registry: Set<EventWatch>,
  ) {}

  /** Resolves with the first frame (already seen or still to come) that matches, or rejects after `timeoutMs`. */
  until(matches: (frame: Frame) => boolean, timeoutMs: number, what: string): Promise<Frame> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const seen = this.buffer.find(matches);
    if (seen !== undefined) {
      this.cancel();
      return Promise.resolve(seen);
    }
    this.empty();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.cancel();
        reject(new RelayError(RelayErrorCode.TIMEOUT, `${RelayErrorCode.TIMEOUT}: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = { matches, timer, resolve, reject };
    });
  }

  /** Offers a frame of this watch's type, `bytes` long as it arrived. Returns whether the watch took it. */
  offer(frame: Frame, bytes = 0): boolean {
    if (this.waiting === undefined) {
      this.buffer.push(frame);
      this.sizes.push(bytes);
      this.watchedBytes += bytes;
      while (
        this.buffer.length > WATCH_BUFFER_LIMIT ||
        (this.watchedBytes > WATCH_BUFFER_BYTES && this.buffer.length > 1)
      ) {
        this.buffer.shift();
        this.watchedBytes -= this.sizes.shift() ?? 0;
      }
      return true;
    }
    if (!this.waiting.matches(frame)) return false;
    const { resolve } = this.waiting;
    this.cancel();
    resolve(frame);
    return true;
  }

  /** Stops watching and rejects a pending {@link until} with `error`, if one is given. */
  cancel(error?: Error): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    this.empty();
    this.failure ??= error;
    this.registry.delete(this);
    if (waiting === undefined) return;
    clearTimeout(waiting.timer);
    if (error !== undefined) waiting.reject(error);
  }

  private empty(): void {
    if (this.buffer.length === 0) return;
    this.buffer = [];
    this.sizes = [];
    this.watchedBytes = 0;
  }
}

/**
 * Every response and event a session is waiting for. Waits are registered before their request
 * is sent; when the socket closes, {@link rejectAll} settles all of them at once.
 */
export class PendingWaits {
  private readonly responses = new Map<string, ResponseWait>();
  private readonly watches = new Set<EventWatch>();
  /** Set by {@link rejectAll}: what every later wait fails with. */
  private closedWith?: () => Error;
  private closedError?: Error;

  private get failure(): Error | undefined {
    if (this.closedWith === undefined) return undefined;
    this.closedError ??= this.closedWith();
    return this.closedError;
  }

  /** Number of open waits; zero once a session is over. */
  get size(): number {
    return this.responses.size + this.watches.size;
  }

  /**
   * Waits for `wf_api_<action>_response` (or an error response) carrying `id`. Each
   * `wf_api_progress_event` with the same id restarts the clock, as in the SDK.
   */
  expectResponse(id: string, action: string, timeoutMs: number): Promise<ResponseBody> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const wait: ResponseWait = { action, timeoutMs, resolve, reject, timer: this.startTimer(id, action, timeoutMs) };
      this.responses.set(id, wait);
    });
  }

  /** Starts collecting events of `type`; see {@link EventWatch}. */
  watch(type: string): EventWatch {
    const watch = new EventWatch(type, this.watches);
    if (this.failure !== undefined) watch.cancel(this.failure);
    else this.watches.add(watch);
    return watch;
  }

  /** Settles the response wait this frame answers, if any. Returns whether the frame was one. */
  deliverResponse(frame: Frame): boolean {
    const id = frame._id;
    const wait = id === undefined ? undefined : this.responses.get(id);
    if (id === undefined || wait === undefined) return false;
    if (frame._type === PROGRESS_EVENT) {
      clearTimeout(wait.timer);
      wait.timer = this.startTimer(id, wait.action, wait.timeoutMs);
      return true;
    }
    if (frame._type !== ERROR_RESPONSE && frame._type !== `wf_api_${wait.action}_response`) return false;
    clearTimeout(wait.timer);
    this.responses.delete(id);
    const { _id, _type, error, ...body } = frame;
    if (_type === ERROR_RESPONSE) {
      const message = typeof error === 'string' ? error : 'Unknown error';
      wait.reject(new RelayError(RelayErrorCode.SERVER_ERROR, message));
    } else {
      wait.resolve(Object.keys(body).length > 0 ? body : undefined);
    }
    return true;
  }

  /** Offers an event frame (`bytes` long as it arrived) to every watch of its type; returns whether one took it. */
  deliverEvent(frame: Frame, bytes = 0): boolean {
    let taken = false;
    for (const watch of this.watches) {
      if (watch.type === frame._type && watch.offer(frame, bytes)) taken = true;
    }
    return taken;
  }

  /**
   * Rejects every wait with the error `makeError` builds and forgets them; waits asked for later
   * fail with it at once. The error is built only if some wait needs it (most sessions end with
   * none pending, and an Error's stack trace is not free).
   */
  rejectAll(makeError: () => Error): void {
    this.closedWith ??= makeError;
    if (this.size === 0) return;
    const error = this.failure as Error;
    for (const wait of this.responses.values()) {
      clearTimeout(wait.timer);
      wait.reject(error);
    }
    this.responses.clear();
    for (const watch of [...this.watches]) watch.cancel(error);
  }

  private startTimer(id: string, action: string, timeoutMs: number): NodeJS.Timeout {
    return setTimeout(() => {
      const wait = this.responses.get(id);
      if (wait === undefined) return;
      this.responses.delete(id);
      wait.reject(
        new RelayError(
          RelayErrorCode.TIMEOUT,
          `${RelayErrorCode.TIMEOUT}: no wf_api_${action}_response within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
  }
}
