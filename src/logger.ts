/**
 * The process logger (pino, one JSON line per event on stdout): what keeps every line safe to ship
 * (private fields censored and every value bounded, whatever a peer sent), and the batched writer
 * that takes the lines to stdout.
 */
import { write, writeSync } from 'node:fs';
import pino, { type Bindings, type ChildLoggerOptions, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

export interface LoggerOptions {
  level?: LogLevel;
  /**
   * Where JSON lines go: by default stdout (Heroku collects stdout), in batches, see createBatchedWriter.
   * Tests pass a memory stream.
   */
  destination?: DestinationStream;
  /** Leave the private fields (see censorPrivate) in clear: for debugging on your own machine only. */
  logPrivateData?: boolean;
}

/**
 * The one logger of the process: one JSON line per event. Every session logs through a child of
 * it (the WebSocket host makes one per session), so its lines carry the session id, workflow and
 * request id.
 */
export function createLogger({ level = 'info', destination, logPrivateData = false }: LoggerOptions = {}): Logger {
  const levelLabel = (label: string) => ({ level: label });
  // Every line is bounded (long strings, arrays and objects cut), private data or not: a peer's
  // value can be megabytes. Unless the owner opts out, lines are censored at each way into them:
  // the logged object, a serialized error's own fields (such as a `text` some library put on it),
  // and a child's bindings.
  const clean = logPrivateData ? boundForLog : censorPrivate;
  const options = {
    level,
    base: undefined,
    formatters: { level: levelLabel, log: clean },
    serializers: { err: (err: unknown) => clean(pino.stdSerializers.err(err as Error)) },
  };
  const logger = pino(options, destination ?? batchedStdout());
  return logPrivateData ? logger : censorChildBindings(logger);
}

/**
 * pino applies `formatters.bindings` to the root logger only, so the bindings a child is made
 * with, or later given with `setBindings`, are censored here, before pino serializes them once.
 * Children are made with `Object.create(parent)`, so they, and their own children, inherit both
 * methods. A child made with its own `formatters` or `serializers` options replaces the censoring
 * of its lines: this project's code never does that.
 */
function censorChildBindings(logger: Logger): Logger {
  // Deliberately unbound: they are called with each child as `this`.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const { child: makeChild, setBindings } = logger;
  // defineProperty, not assignment: pino's generic signature for `child` cannot be restated.
  Object.defineProperty(logger, 'child', {
    value: function child(this: Logger, bindings: Bindings, options?: ChildLoggerOptions): unknown {
      return Reflect.apply(makeChild, this, [censorPrivate(bindings), options]);
    },
    writable: true,
    configurable: true,
  });
  Object.defineProperty(logger, 'setBindings', {
    value: function censoredSetBindings(this: Logger, bindings: Bindings): void {
      Reflect.apply(setBindings, this, [censorPrivate(bindings)]);
    },
    writable: true,
    configurable: true,
  });
  return logger;
}

/**
 * Fields that can hold what a person said or heard, wherever they sit in a logged object. They are
 * censored at every level, so even a `debug` line that carries a whole frame keeps them out.
 */
export const PRIVATE_FIELDS: ReadonlySet<string> = new Set([
  'text',
  'audio',
  'phrases',
  'phrase',
  'transcript',
  'value',
  'username',
]);

export const CENSORED = '[private]';

/** What stands in for a value nested deeper than {@link MAX_DEPTH}: it is not looked into, so it is not logged. */
export const TOO_DEEP = '[too deep]';

/** How deep into nested objects and arrays fields are looked for. */
const MAX_DEPTH = 8;

/**
 * Bounds on what one log line carries, whatever a peer sent: strings are cut at 300 characters
 * (a stack at 2,000), arrays at 20 items, objects at 50 keys. Heroku splits lines over 10,000
 * bytes, and a peer's value can be megabytes.
 */
export const MAX_LOGGED_CHARS = 300;
const MAX_LOGGED_STACK_CHARS = 2_000;
const MAX_LOGGED_ITEMS = 20;
const MAX_LOGGED_KEYS = 50;

/** `text` cut to `limit` characters, saying how many were left out. */
export function truncate(text: string, limit = MAX_LOGGED_CHARS): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}…[${text.length - limit} more chars]`;
}

/**
 * `value` with every {@link PRIVATE_FIELDS} key replaced by `[private]`, in plain objects, arrays,
 * errors and class instances alike (what JSON.stringify would write of them), down to 8 levels;
 * anything deeper, a cycle included, becomes `[too deep]`. Objects with their own `toJSON`
 * (Buffer, Date, URL) are left whole.
 *
 * Copy on write: the caller's object is never changed, and a value with nothing to censor comes
 * back as the same object, so a typical log line allocates nothing here. A copy keeps the
 * original's prototype and every own property (an error's message and stack too), so pino still
 * serializes an error as an error.
 *
 * It stands in for pino's `redact` paths, whose wildcard stringifier runs on every key of every
 * line and of every child's bindings (docs/performance.md).
 */
export function censorPrivate<T>(value: T): T {
  return censor(value, 0, true, MAX_LOGGED_CHARS);
}

/** `value` within the bounds of a log line ({@link MAX_LOGGED_CHARS} and the rest), private fields left in clear. */
export function boundForLog<T>(value: T): T {
  return censor(value, 0, false, MAX_LOGGED_CHARS);
}

function censor<T>(value: T, depth: number, hidePrivate: boolean, maxChars: number): T {
  if (typeof value === 'string') return truncate(value, maxChars) as T;
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_DEPTH) return TOO_DEEP as T;
  if (Array.isArray(value)) return censorArray(value, depth, hidePrivate) as T;
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]` as T;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  const source = value as Record<string, unknown>;
  const keys = Object.keys(source);
  let copy: Record<string, unknown> | undefined;
  if (keys.length > MAX_LOGGED_KEYS) {
    copy = Object.create(Object.getPrototypeOf(source) as object | null) as Record<string, unknown>;
    copy['…'] = `${keys.length - MAX_LOGGED_KEYS} more keys`;
  }
  for (const key of keys.slice(0, MAX_LOGGED_KEYS)) {
    const field = source[key];
    const limit = key === 'stack' ? MAX_LOGGED_STACK_CHARS : MAX_LOGGED_CHARS;
    const replaced =
      hidePrivate && PRIVATE_FIELDS.has(key) && field !== undefined
        ? CENSORED
        : censor(field, depth + 1, hidePrivate, limit);
    if (replaced === field && copy === undefined) continue;
    copy ??= cloneOf(source);
    // Defined, not assigned: the original may have been frozen, or the key an accessor.
    Object.defineProperty(copy, key, { value: replaced, enumerable: true, writable: true, configurable: true });
  }
  return (copy ?? value) as T;
}

function censorArray(items: unknown[], depth: number, hidePrivate: boolean): unknown[] {
  let copy: unknown[] | undefined = items.length > MAX_LOGGED_ITEMS ? items.slice(0, MAX_LOGGED_ITEMS) : undefined;
  for (let index = 0; index < Math.min(items.length, MAX_LOGGED_ITEMS); index++) {
    const item = items[index];
    const replaced = censor(item, depth + 1, hidePrivate, MAX_LOGGED_CHARS);
    if (replaced === item) continue;
    copy ??= items.slice();
    copy[index] = replaced;
  }
  if (items.length > MAX_LOGGED_ITEMS) copy?.push(`…${items.length - MAX_LOGGED_ITEMS} more items`);
  return copy ?? items;
}

/**
 * A shallow copy with the same prototype and own properties, enumerable or not. Accessors are
 * read into plain values: an error's `stack` getter, for one, works only on the original.
 */
function cloneOf(source: Record<string, unknown>): Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(source);
  if (proto === Object.prototype || proto === null) return { ...source };
  const descriptors = Object.getOwnPropertyDescriptors(source);
  for (const key of Reflect.ownKeys(descriptors)) {
    const descriptor = descriptors[key as keyof typeof descriptors] as PropertyDescriptor;
    if (descriptor.get === undefined && descriptor.set === undefined) continue;
    const value: unknown = Reflect.get(source, key);
    descriptors[key as keyof typeof descriptors] = {
      value,
      enumerable: descriptor.enumerable,
      writable: true,
      configurable: true,
    };
  }
  return Object.create(proto as object, descriptors) as Record<string, unknown>;
}

export interface BatchedWriterOptions {
  /** The file descriptor written to: 1 is stdout. */
  fd: number;
  /** Bytes gathered before a write starts; less is written by the periodic flush. */
  minBytes?: number;
  /** Milliseconds between periodic flushes of what has gathered. */
  flushEveryMs?: number;
  /** Bytes gathered at most while the reader is slow; lines beyond are dropped, not kept without bound. */
  maxGatheredBytes?: number;
  /** How long `flushSync` (at exit) retries a full pipe (EAGAIN) before it drops the rest. */
  exitFlushMs?: number;
}

export interface BatchedWriter {
  /** Gathers a chunk (a log line) for the next write; never throws, never blocks. */
  write(chunk: string): boolean;
  /** Writes what is gathered, synchronously, for at most `exitFlushMs`; then gives up. Never throws. */
  flushSync(): void;
  /** Stops the periodic flush (tests). */
  stop(): void;
}

/**
 * A pino destination that writes in batches: lines are gathered up to `minBytes` and written at
 * least every `flushEveryMs`, instead of one write(2) per line, which under load costs much of the
 * server's CPU (docs/performance.md); the price is that a line may reach `heroku logs` up to 100 ms
 * late, or be lost if the process is killed with SIGKILL.
 *
 * A write that fails for good (EPIPE: `npm start | head` has exited; EBADF) marks the output broken,
 * and from then on lines are dropped: logging must never keep a process from exiting. (pino's own
 * sonic-boom retries such a write at exit every 100 ms, forever: SIGTERM with a closed stdout
 * then never ended the process, issue 15.)
 */
export function createBatchedWriter({
  fd,
  minBytes = 4096,
  flushEveryMs = 100,
  maxGatheredBytes = 8 * 1024 * 1024,
  exitFlushMs = 500,
}: BatchedWriterOptions): BatchedWriter {
  let gathered: string[] = [];
  let gatheredBytes = 0;
  let writing = false;
  let broken = false;
  /** A batch the pipe refused for now (EAGAIN), waiting for its retry: no write holds it meanwhile. */
  let retry: { data: Buffer; timer: NodeJS.Timeout } | undefined;

  const take = (): Buffer => {
    const data = Buffer.from(gathered.join(''));
    gathered = [];
    gatheredBytes = 0;
    return data;
  };

  const giveUp = () => {
    broken = true;
    writing = false;
    gathered = [];
    gatheredBytes = 0;
  };

  const writeOut = (data: Buffer) => {
    writing = true;
    write(fd, data, 0, data.length, null, (error, written) => {
      if (error?.code === 'EAGAIN') {
        const timer = setTimeout(() => {
          retry = undefined;
          writeOut(data);
        }, 10).unref();
        retry = { data, timer };
        return;
      }
      if (error) return giveUp();
      if (written < data.length) return writeOut(data.subarray(written));
      writing = false;
      if (gatheredBytes >= minBytes) flush();
    });
  };

  const flush = () => {
    if (writing || broken || gatheredBytes === 0) return;
    writeOut(take());
  };

  const timer = setInterval(flush, flushEveryMs).unref();

  return {
    write(chunk) {
      if (broken) return true;
      const bytes = Buffer.byteLength(chunk);
      if (gatheredBytes + bytes > maxGatheredBytes) return false;
      gathered.push(chunk);
      gatheredBytes += bytes;
      if (gatheredBytes >= minBytes) flush();
      return true;
    },
    flushSync() {
      clearInterval(timer);
      // A batch already handed to an asynchronous write is that write's: writing it again could
      // print its lines twice. One waiting to be retried is not.
      if (retry !== undefined) clearTimeout(retry.timer);
      const pending = retry?.data;
      retry = undefined;
      if (broken || (gatheredBytes === 0 && pending === undefined)) return;
      let data = pending === undefined ? take() : Buffer.concat([pending, take()]);
      const deadline = Date.now() + exitFlushMs;
      const pause = new Int32Array(new SharedArrayBuffer(4));
      while (data.length > 0) {
        try {
          data = data.subarray(writeSync(fd, data));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() >= deadline) return giveUp();
          Atomics.wait(pause, 0, 0, 10);
        }
      }
    },
    stop() {
      clearInterval(timer);
    },
  };
}

let stdout: BatchedWriter | undefined;

/**
 * The process's stdout as one batched writer, shared by every logger writing there (so their
 * lines stay in order), flushed at exit.
 */
export function batchedStdout(): BatchedWriter {
  if (stdout === undefined) {
    const writer = createBatchedWriter({ fd: 1 });
    process.once('exit', () => writer.flushSync());
    stdout = writer;
  }
  return stdout;
}
