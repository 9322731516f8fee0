import pino, { type Bindings, type ChildLoggerOptions, type DestinationStream, type Logger } from 'pino';
import { batchedStdout } from './batched-writer';
import { boundForLog, censorPrivate } from './censor-private';
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
