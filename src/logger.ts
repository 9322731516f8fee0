import pino, { type Bindings, type ChildLoggerOptions, type DestinationStream, type Logger } from 'pino';
import { batchedStdout } from './batched-writer';
import { censorPrivate } from './censor-private';
import type { LogLevel } from './config';

export type { Logger };

export interface LoggerOptions {
  level?: LogLevel;
  /**
   * Where JSON lines go: by default stdout (Heroku collects stdout), in batches, see batched-writer.ts.
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
  if (logPrivateData) return pino({ level, base: undefined, formatters: { level: levelLabel } }, destination ?? batchedStdout());
  // Censored at each way into a line: the logged object, a serialized error's own fields (such
  // as a `text` some library put on it), and a child's bindings.
  const options = {
    level,
    base: undefined,
    formatters: { level: levelLabel, log: censorPrivate },
    serializers: { err: (err: unknown) => censorPrivate(pino.stdSerializers.err(err as Error)) },
  };
  return censorChildBindings(pino(options, destination ?? batchedStdout()));
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
