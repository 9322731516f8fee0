import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBenchServer, type BenchServer } from './bench-server';
import { LoadClient } from './load-client';
import type { LoadCommand, RunReply } from './load-protocol';
import { readCpuMs } from './proc-stats';
import { percentile, round } from './stats';

export interface SecretBenchOptions {
  /** The project's compiled entry and the Procfile's node options. */
  serverEntry: string;
  serverNodeArgs: string[];
  cwd: string;
  /** The compiled load-driver.js. */
  loadDriver: string;
  /** Rounds; each runs both servers, alternating who goes first. */
  rounds: number;
  /** Sessions per server and round. */
  sessions: number;
  /** Sessions in flight at once. */
  concurrency: number;
  /** Sessions per server before anything is measured. */
  warmupSessions: number;
  gapMs: number;
  sessionTimeoutMs: number;
  progress: (line: string) => void;
}

/** One server's side of the comparison. */
export interface SecretSide {
  completed: number;
  failed: number;
  /** Start event sent to the workflow's first action received, ms. */
  startP50Ms: number;
  startP99Ms: number;
  /** The server's own CPU time per completed session, ms. */
  cpuMsPerSession: number;
}

export interface SecretBenchResult {
  concurrency: number;
  sessionsPerServer: number;
  withSecret: SecretSide;
  withoutSecret: SecretSide;
  /** withSecret minus withoutSecret: what the get_var round trip adds to a session's start, ms. */
  addedStartP50Ms: number;
  addedCpuMsPerSession: number;
}

type Side = 'withSecret' | 'withoutSecret';

/**
 * What WORKFLOW_SECRET's round trip costs a session's start: two project servers, one with
 * WORKFLOW_SECRET set (its sessions registered with the matching workflow_secret arg) and one
 * without, the same hello sessions run on both in alternating rounds by the load process.
 */
export async function runSecretBench(options: SecretBenchOptions): Promise<SecretBenchResult> {
  const secret = randomBytes(32).toString('hex');
  const load = LoadClient.start(options.loadDriver);
  const servers: Partial<Record<Side, BenchServer>> = {};
  try {
    const start = (env: Record<string, string>) =>
      startBenchServer({
        kind: 'project',
        entry: options.serverEntry,
        nodeArgs: options.serverNodeArgs,
        cwd: options.cwd,
        maxSessions: options.concurrency + 1000,
        env,
      });
    servers.withSecret = await start({ WORKFLOW_SECRET: secret });
    servers.withoutSecret = await start({});
    await Promise.all([listening(servers.withSecret), listening(servers.withoutSecret)]);
    const pace = { gapMs: options.gapMs, together: false, timeoutMs: options.sessionTimeoutMs };
    const runOn = (side: Side, sessions: number): Promise<RunReply> => {
      const command: Extract<LoadCommand, { cmd: 'run' }> = {
        cmd: 'run',
        url: (servers[side] as BenchServer).url,
        sessions,
        concurrency: options.concurrency,
        timeStart: true,
        vars: side === 'withSecret' ? { greeting: 'Hello', workflow_secret: secret } : { greeting: 'Hello' },
        ...pace,
      };
      return load.send(command);
    };
    // The first sessions boot each server's code paths (and the HTTP side's lazy build).
    for (const side of ['withSecret', 'withoutSecret'] as const) await runOn(side, options.warmupSessions);

    const replies: Record<Side, RunReply[]> = { withSecret: [], withoutSecret: [] };
    const cpuMs: Record<Side, number> = { withSecret: 0, withoutSecret: 0 };
    for (let index = 0; index < options.rounds; index += 1) {
      const order: Side[] = index % 2 === 0 ? ['withSecret', 'withoutSecret'] : ['withoutSecret', 'withSecret'];
      for (const side of order) {
        const pid = (servers[side] as BenchServer).pid;
        const before = readCpuMs(pid);
        replies[side].push(await runOn(side, options.sessions));
        cpuMs[side] += readCpuMs(pid) - before;
      }
      options.progress(`secret: round ${index + 1} of ${options.rounds} done`);
    }
    for (const server of Object.values(servers)) server?.assertRunning();
    const side = (which: Side): SecretSide => {
      const completed = replies[which].reduce((sum, reply) => sum + reply.completed, 0);
      const starts = replies[which].flatMap((reply) => reply.startMs ?? []);
      return {
        completed,
        failed: replies[which].reduce((sum, reply) => sum + reply.failed, 0),
        startP50Ms: round(percentile(starts, 50), 3),
        startP99Ms: round(percentile(starts, 99), 3),
        cpuMsPerSession: round(cpuMs[which] / Math.max(1, completed), 3),
      };
    };
    const withSecret = side('withSecret');
    const withoutSecret = side('withoutSecret');
    return {
      concurrency: options.concurrency,
      sessionsPerServer: options.sessions * options.rounds,
      withSecret,
      withoutSecret,
      addedStartP50Ms: round(withSecret.startP50Ms - withoutSecret.startP50Ms, 3),
      addedCpuMsPerSession: round(withSecret.cpuMsPerSession - withoutSecret.cpuMsPerSession, 3),
    };
  } finally {
    await Promise.all(Object.values(servers).map((server) => server?.stop()));
    await load.stop();
  }
}

/** Polls the server's /health until it answers, for at most 10 s: no session is run against a server still booting. */
async function listening(server: BenchServer): Promise<void> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const ok = await fetch(`${server.base}/health`).then(
      (answer) => answer.ok,
      () => false,
    );
    if (ok) return;
    server.assertRunning();
    if (performance.now() > deadline) throw new Error(`${server.base} did not answer /health within 10 s`);
    await sleep(25);
  }
}

/** The comparison as a Markdown table, as `npm run bench -- --only secret` prints it. */
export function formatSecretTable(result: SecretBenchResult): string {
  const rows: Array<[string, string, string]> = [
    [
      'start event to first action, ms p50 / p99',
      `${result.withSecret.startP50Ms} / ${result.withSecret.startP99Ms}`,
      `${result.withoutSecret.startP50Ms} / ${result.withoutSecret.startP99Ms}`,
    ],
    ['CPU per session, ms', String(result.withSecret.cpuMsPerSession), String(result.withoutSecret.cpuMsPerSession)],
    [
      'failed sessions',
      `${result.withSecret.failed} of ${result.sessionsPerServer}`,
      `${result.withoutSecret.failed} of ${result.sessionsPerServer}`,
    ],
  ];
  const header = `| WORKFLOW_SECRET check, c=${result.concurrency} | with WORKFLOW_SECRET | without |`;
  const lines = [header, '|---|---|---|', ...rows.map((row) => `| ${row.join(' | ')} |`)];
  lines.push(
    '',
    `the check adds ${result.addedStartP50Ms} ms to the median start and ${result.addedCpuMsPerSession} ms of CPU per session`,
  );
  return lines.join('\n');
}
