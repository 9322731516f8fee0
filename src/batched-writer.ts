import { write, writeSync } from 'node:fs';

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
