import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBatchedWriter } from '../src/logger';

function tempFile(): { path: string; fd: number } {
  const path = join(mkdtempSync(join(tmpdir(), 'relay-batched-')), 'out.log');
  return { path, fd: openSync(path, 'w') };
}

describe('createBatchedWriter', () => {
  it('holds lines below minBytes until a flush, and flushSync writes them all in order', () => {
    const { path, fd } = tempFile();
    const writer = createBatchedWriter({ fd, minBytes: 1024, flushEveryMs: 60_000 });
    try {
      writer.write('one\n');
      writer.write('two\n');
      expect(readFileSync(path, 'utf8')).toBe('');
      writer.flushSync();
      expect(readFileSync(path, 'utf8')).toBe('one\ntwo\n');
    } finally {
      writer.stop();
      closeSync(fd);
    }
  });

  it('writes on its own once minBytes have gathered', async () => {
    const { path, fd } = tempFile();
    const writer = createBatchedWriter({ fd, minBytes: 8, flushEveryMs: 60_000 });
    try {
      writer.write('0123456789\n');
      await new Promise<void>((resolve) => {
        const poll = setInterval(() => readFileSync(path, 'utf8') !== '' && (clearInterval(poll), resolve()), 5);
      });
      expect(readFileSync(path, 'utf8')).toBe('0123456789\n');
    } finally {
      writer.stop();
      closeSync(fd);
    }
  });

  it('drops lines, without throwing or waiting, once the output is gone', () => {
    // A descriptor no process has open (a closed one could be reused by the time it is written).
    const writer = createBatchedWriter({ fd: 2 ** 31 - 1, minBytes: 1024, flushEveryMs: 60_000 });
    writer.write('lost\n');
    const started = Date.now();
    expect(() => writer.flushSync()).not.toThrow();
    expect(Date.now() - started).toBeLessThan(50);
    expect(writer.write('after\n')).toBe(true);
    writer.stop();
  });

  it('refuses lines beyond maxGatheredBytes rather than keeping them without bound', () => {
    const { path, fd } = tempFile();
    const writer = createBatchedWriter({ fd, minBytes: 1024, flushEveryMs: 60_000, maxGatheredBytes: 10 });
    try {
      expect(writer.write('12345\n')).toBe(true);
      expect(writer.write('67890\n')).toBe(false);
      writer.flushSync();
      expect(readFileSync(path, 'utf8')).toBe('12345\n');
    } finally {
      writer.stop();
      closeSync(fd);
    }
  });
});
