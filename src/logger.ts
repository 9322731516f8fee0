import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

/**
 * Fields that can hold what a person said or heard, wherever they sit in a logged object. They are
 * censored at every level, so even a `debug` line that carries a whole frame keeps them out.
 */
export const PRIVATE_FIELDS = ['text', 'audio', 'phrases', 'phrase', 'transcript', 'value', 'username'] as const;

const redactPaths = PRIVATE_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]);

/**
 * Stdout, written in batches: lines are gathered up to 4 KiB and written at least every 100 ms
 * (and at exit), instead of one write(2) per line. Under load that write per line was a fifth of
 * the server's CPU (npm run bench, README "Performance"); the price is that a line may reach
 * `heroku logs` up to 100 ms late, or be lost if the process is killed with SIGKILL.
 */
function batchedStdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 });
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where JSON lines go; stdout by default (Heroku collects stdout). Tests pass a memory stream. */
  destination?: DestinationStream;
  /** Leave {@link PRIVATE_FIELDS} in clear: for debugging on your own machine only. */
  logPrivateData?: boolean;
}

/**
 * The one logger of the process: one JSON line per event. Every session logs through a child of
 * it (the WebSocket host makes one per session), so its lines carry the session id, workflow and
 * request id.
 */
export function createLogger({ level = 'info', destination, logPrivateData = false }: LoggerOptions = {}): Logger {
  const options = {
    level,
    base: undefined,
    redact: logPrivateData ? [] : { paths: redactPaths, censor: '[private]' },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return pino(options, destination ?? batchedStdout());
}
