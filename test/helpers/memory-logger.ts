import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger';

type Line = Record<string, unknown>;

export interface MemoryLogger {
  logger: Logger;
  lines: () => Line[];
  text: () => string;
  /** Resolves with the first line logged with this message (and that `where` takes), already or later. */
  logged: (msg: string, where?: (line: Line) => boolean) => Promise<Line>;
}

/** A logger that keeps its JSON lines in memory, for asserting on what was logged. */
export function memoryLogger(
  level: 'debug' | 'info' | 'trace' = 'info',
  { logPrivateData = false }: { logPrivateData?: boolean } = {},
): MemoryLogger {
  const chunks: string[] = [];
  const waiting: Array<{ accept: (line: Line) => boolean; resolve: (line: Line) => void }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      for (const line of parse(chunk.toString())) {
        for (const wait of waiting.filter(({ accept }) => accept(line))) {
          waiting.splice(waiting.indexOf(wait), 1);
          wait.resolve(line);
        }
      }
      done();
    },
  });
  const text = () => chunks.join('');
  const lines = () => parse(text());
  return {
    logger: createLogger({ level, destination: stream, logPrivateData }),
    text,
    lines,
    logged: (msg, where = () => true) => {
      const accept = (line: Line) => line.msg === msg && where(line);
      const line = lines().find(accept);
      if (line !== undefined) return Promise.resolve(line);
      return new Promise((resolve) => waiting.push({ accept, resolve }));
    },
  };
}

function parse(text: string): Line[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Line);
}
