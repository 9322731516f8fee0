import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger';

/** A logger that keeps its JSON lines in memory, for asserting on what was logged. */
export function memoryLogger(
  level: 'debug' | 'info' | 'trace' = 'info',
  { logPrivateData = false }: { logPrivateData?: boolean } = {},
): { logger: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const text = () => chunks.join('');
  return {
    logger: createLogger({ level, destination: stream, logPrivateData }),
    text,
    lines: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
