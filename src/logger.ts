import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

export type { Logger };

/**
 * Fields that can hold what a person said or heard, wherever they sit in a logged object. They are
 * censored at every level, so even a `debug` line that carries a whole frame keeps them out.
 */
export const PRIVATE_FIELDS = ['text', 'audio', 'phrases', 'phrase', 'transcript', 'value', 'username'] as const;

const redactPaths = PRIVATE_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]);

export interface LoggerOptions {
  level?: LogLevel;
  /** Where JSON lines go; stdout by default (Heroku collects stdout). Tests pass a memory stream. */
  destination?: DestinationStream;
  /** Leave {@link PRIVATE_FIELDS} in clear: for debugging on your own machine only. */
  logPrivateData?: boolean;
}

/**
 * The one logger of the process: one JSON line per event. Every session logs through a child of
 * it (see `createSessionLogger`), so its lines carry the session id, workflow and request id.
 */
export function createLogger({ level = 'info', destination, logPrivateData = false }: LoggerOptions = {}): Logger {
  const options = {
    level,
    base: undefined,
    redact: logPrivateData ? [] : { paths: redactPaths, censor: '[private]' },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
