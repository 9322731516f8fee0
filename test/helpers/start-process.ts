import { spawn, type SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface StartedProcess {
  /** Resolves with the first output line (stdout or stderr) that matches, already written or still to come. */
  line: (pattern: RegExp) => Promise<string>;
  /** Resolves with the next output line that matches, ignoring the lines already written. */
  nextLine: (pattern: RegExp) => Promise<string>;
  output: () => string;
  /** The command's own process id (undefined when it could not be started). */
  pid: number | undefined;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Resolves once its output has ended: every process writing to it (the command and what it
   * started, which inherits its stdout and stderr) has exited, and every line is in `output()`.
   */
  closed: Promise<void>;
  /**
   * Signals the whole process group (the command and what it started), until its output has ended:
   * what the command left running when it exited is signalled too.
   */
  signal: (signal: NodeJS.Signals) => void;
}

/**
 * Starts a command in its own process group and watches its output line by line. Its stdin is
 * empty, or, with `stdin: 'pipe'`, open and never written (a program reading it waits).
 */
export function startProcess(
  command: string,
  args: string[],
  options: SpawnOptions,
  { stdin = 'ignore' }: { stdin?: 'ignore' | 'pipe' } = {},
): StartedProcess {
  const child =
    stdin === 'pipe'
      ? spawn(command, args, { ...options, detached: true, stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiting: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  const onLine = (line: string) => {
    lines.push(line);
    for (const wait of waiting.filter((w) => w.pattern.test(line))) {
      waiting.splice(waiting.indexOf(wait), 1);
      wait.resolve(line);
    }
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let running = true;
  void closed.then(() => (running = false));
  return {
    output: () => lines.join('\n'),
    pid: child.pid,
    exited,
    closed,
    signal: (signal) => {
      if (!running || child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is already gone.
      }
    },
    line: (pattern) => {
      const seen = lines.find((line) => pattern.test(line));
      return seen !== undefined ? Promise.resolve(seen) : new Promise((resolve) => waiting.push({ pattern, resolve }));
    },
    nextLine: (pattern) => new Promise((resolve) => waiting.push({ pattern, resolve })),
  };
}

/** Runs a command to the end; rejects with its output when it fails. */
export async function run(command: string, args: string[], options: SpawnOptions): Promise<string> {
  const started = startProcess(command, args, options);
  const { code, signal } = await started.exited;
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${code ?? signal}):\n${started.output()}`);
  return started.output();
}
