import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { SERVER_KINDS, startBenchServer, type BenchServer, type ServerKind } from './bench-server';
import { LoadClient } from './load-client';
import type { Pacing } from './load-protocol';
import { readCpuMs, readRssKb } from './proc-stats';
import { median, percentile, round } from './stats';

export interface BenchOptions {
  /** The project's compiled entry (the Procfile's `dist/server.js`). */
  serverEntry: string;
  /** The node options the Procfile's web command puts before it. */
  serverNodeArgs: string[];
  /** The bare-SDK hello script. */
  sdkScript: string;
  /** The compiled load-driver.js. */
  loadDriver: string;
  /** Working directory of both servers (the repo, for node_modules). */
  cwd: string;
  /** Rounds of the throughput phase; each runs both servers at each concurrency, alternating who goes first. */
  rounds: number;
  /**
   * Sessions per server and round at each concurrency c, capped at 50 × c so that low
   * concurrencies do not dominate the run time (at least 2000 at c=50 for the CPU figure).
   */
  sessions: number;
  concurrencies: number[];
  /** The concurrency whose CPU per session is the headline. */
  cpuConcurrency: number;
  /** Sessions held open at once, in steps, for memory per open session. */
  memoryLevels: number[];
  /** Times each server is started from scratch for the boot figure. */
  bootRounds: number;
  /** Sessions run on each server before anything is measured, and again between the memory and throughput phases. */
  warmupSessions: number;
  /** Pause before a memory reading, ms. */
  settleMs: number;
  /** The simulator's prompt gap, the same for both servers. */
  gapMs: number;
  /** Sessions per server in the separate gap-0 / one-write finding (0 skips it). */
  findingSessions: number;
  /** A session not over this long after it started counts as failed. */
  sessionTimeoutMs: number;
  /** Called with a line of progress. */
  progress: (line: string) => void;
}

export interface ConcurrencyResult {
  concurrency: number;
  sessions: number;
  completed: number;
  failed: number;
  sessionsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMsPerSession: number;
  /** The same, round by round: the spread between rounds is the noise of the machine. */
  cpuMsPerSessionByRound: number[];
}

export interface MemoryLevel {
  open: number;
  rssKb: number;
  growthKb: number;
  kbPerSession: number;
}

export interface ServerResult {
  bootMs: number;
  bootSamplesMs: number[];
  /** CPU per completed session at `cpuConcurrency`, over every round. */
  cpuMsPerSession: number;
  concurrency: ConcurrencyResult[];
  /** Failed sessions over every throughput round and concurrency. */
  failed: number;
  memory: {
    baselineKb: number;
    levels: MemoryLevel[];
    kbPerSession: number;
    heldFailed: number;
    releaseFailed: number;
  };
  /** What the server wrote to stdout + stderr, per session, over the whole run. */
  logBytesPerSession: number;
  logLinesPerSession: number;
}

export interface FindingResult {
  pacing: string;
  sessions: number;
  completed: number;
  failed: number;
}

export interface BenchResult {
  servers: Record<ServerKind, ServerResult>;
  finding: Record<ServerKind, FindingResult[]>;
}

/** Runs every phase on both servers and returns the figures (no ratios; see report.ts). */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const load = LoadClient.start(options.loadDriver);
  try {
    const boot = await measureBoot(options, load);
    const servers = await Promise.all(SERVER_KINDS.map((kind) => start(options, kind)));
    try {
      const [project, sdk] = servers as [BenchServer, BenchServer];
      const bench = new ServerPair(options, load, project, sdk);
      return await bench.run(boot);
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  } finally {
    await load.stop();
  }
}

function start(options: BenchOptions, kind: ServerKind): Promise<BenchServer> {
  const entry = kind === 'project' ? options.serverEntry : options.sdkScript;
  const nodeArgs = kind === 'project' ? options.serverNodeArgs : [];
  return startBenchServer({
    kind,
    entry,
    nodeArgs,
    cwd: options.cwd,
    maxSessions: Math.max(...options.memoryLevels, 1000) + 1000,
  });
}

function pacing(options: BenchOptions): Pacing {
  return { gapMs: options.gapMs, together: false, timeoutMs: options.sessionTimeoutMs };
}

/** Alternates who goes first: project then SDK in even rounds, SDK then project in odd ones. */
function order(round: number): readonly ServerKind[] {
  return round % 2 === 0 ? SERVER_KINDS : [...SERVER_KINDS].reverse();
}

/** Starts each server afresh `bootRounds` times, timing spawn to the first completed hello session. */
async function measureBoot(options: BenchOptions, load: LoadClient): Promise<Record<ServerKind, number[]>> {
  const samples: Record<ServerKind, number[]> = { project: [], sdk: [] };
  for (let pass = 0; pass < options.bootRounds; pass++) {
    for (const kind of order(pass)) {
      const server = await start(options, kind);
      try {
        const reply = await load.send({
          cmd: 'boot',
          url: server.url,
          retryMs: 2,
          deadlineMs: 20_000,
          ...pacing(options),
        });
        const ms = performance.now() - server.spawnedAt;
        if (!reply.ok)
          throw new Error(
            `the ${kind} server never completed a session after ${pass} boots (${reply.attempts} attempts)`,
          );
        samples[kind].push(ms);
      } finally {
        await server.stop();
      }
    }
  }
  options.progress(`boot: project ${fmtList(samples.project)} ms, sdk ${fmtList(samples.sdk)} ms`);
  return samples;
}

class ServerPair {
  private readonly servers: Record<ServerKind, BenchServer>;
  private readonly sessionsRun: Record<ServerKind, number> = { project: 0, sdk: 0 };

  constructor(
    private readonly options: BenchOptions,
    private readonly load: LoadClient,
    project: BenchServer,
    sdk: BenchServer,
  ) {
    this.servers = { project, sdk };
  }

  async run(boot: Record<ServerKind, number[]>): Promise<BenchResult> {
    for (const kind of SERVER_KINDS) {
      const server = this.servers[kind];
      const reply = await this.load.send({
        cmd: 'boot',
        url: server.url,
        retryMs: 2,
        deadlineMs: 20_000,
        ...pacing(this.options),
      });
      if (!reply.ok) throw new Error(`the ${kind} server never completed a session`);
      await this.runSessions(kind, this.options.warmupSessions, 50, pacing(this.options));
    }
    const memory = { project: await this.measureMemory('project'), sdk: await this.measureMemory('sdk') };
    // Warmed up again, so that the first throughput round pays less for collecting the thousands
    // of sessions the memory phase held. It does not remove that: round 1 still reads among the
    // highest for both servers (docs/performance.md).
    for (const kind of SERVER_KINDS)
      await this.runSessions(kind, this.options.warmupSessions, 50, pacing(this.options));
    const throughput = await this.measureThroughput();
    const finding = await this.measureFinding();
    const result = (kind: ServerKind): ServerResult => {
      const { output } = this.servers[kind];
      const cpu = throughput[kind].find((level) => level.concurrency === this.options.cpuConcurrency);
      return {
        bootMs: round(median(boot[kind]), 1),
        bootSamplesMs: boot[kind].map((ms) => round(ms, 1)),
        cpuMsPerSession: cpu?.cpuMsPerSession ?? NaN,
        concurrency: throughput[kind],
        failed: throughput[kind].reduce((sum, level) => sum + level.failed, 0),
        memory: memory[kind],
        logBytesPerSession: round(output.bytes / this.sessionsRun[kind], 0),
        logLinesPerSession: round(output.lines / this.sessionsRun[kind], 1),
      };
    };
    return { servers: { project: result('project'), sdk: result('sdk') }, finding };
  }

  private async runSessions(kind: ServerKind, sessions: number, concurrency: number, pace: Pacing) {
    const reply = await this.load.send({ cmd: 'run', url: this.servers[kind].url, sessions, concurrency, ...pace });
    this.servers[kind].assertRunning();
    this.sessionsRun[kind] += sessions;
    return reply;
  }

  /**
   * RSS growth of the server with sessions held open in `listen`, in steps up to the last level,
   * over a baseline taken after the warm-up and a settle. The held sessions are released after.
   */
  private async measureMemory(kind: ServerKind): Promise<ServerResult['memory']> {
    const { pid, url } = this.servers[kind];
    // Held sessions wait for the release: 120 s with the default 10 s session timeout. A shorter
    // --timeout (the smoke run's) shortens it too, so a session 2.4.0 lost cannot stall the run.
    const hold: Pacing = { ...pacing(this.options), timeoutMs: Math.max(20_000, this.options.sessionTimeoutMs * 12) };
    await sleep(this.options.settleMs);
    const baselineKb = readRssKb(pid);
    const levels: MemoryLevel[] = [];
    let open = 0;
    let heldFailed = 0;
    for (const level of this.options.memoryLevels) {
      const reply = await this.load.send({ cmd: 'hold', url, count: level - open, ...hold });
      open = level;
      heldFailed += reply.failed;
      this.servers[kind].assertRunning();
      await sleep(this.options.settleMs);
      const rssKb = readRssKb(pid);
      levels.push({
        open: level,
        rssKb,
        growthKb: rssKb - baselineKb,
        kbPerSession: round((rssKb - baselineKb) / level, 2),
      });
    }
    const released = await this.load.send({ cmd: 'release' });
    this.servers[kind].assertRunning();
    this.sessionsRun[kind] += open;
    const last = levels[levels.length - 1];
    this.options.progress(
      `memory ${kind}: baseline ${baselineKb} KiB, ${levels.map((l) => `${l.open} open +${l.growthKb} KiB`).join(', ')}`,
    );
    return { baselineKb, levels, kbPerSession: last?.kbPerSession ?? NaN, heldFailed, releaseFailed: released.failed };
  }

  private async measureThroughput(): Promise<Record<ServerKind, ConcurrencyResult[]>> {
    type Totals = {
      completed: number;
      failed: number;
      wallMs: number;
      cpuMs: number;
      durations: number[];
      byRound: number[];
    };
    const totals = new Map<string, Totals>();
    for (let pass = 0; pass < this.options.rounds; pass++) {
      for (const concurrency of this.options.concurrencies) {
        for (const kind of order(pass)) {
          const { pid } = this.servers[kind];
          const cpuBefore = readCpuMs(pid);
          const reply = await this.runSessions(
            kind,
            Math.min(this.options.sessions, 50 * concurrency),
            concurrency,
            pacing(this.options),
          );
          const cpuMs = readCpuMs(pid) - cpuBefore;
          const key = `${kind}:${concurrency}`;
          const total = totals.get(key) ?? { completed: 0, failed: 0, wallMs: 0, cpuMs: 0, durations: [], byRound: [] };
          total.completed += reply.completed;
          total.failed += reply.failed;
          total.wallMs += reply.wallMs;
          total.cpuMs += cpuMs;
          total.durations.push(...reply.durations);
          total.byRound.push(round(cpuMs / Math.max(1, reply.completed), 3));
          totals.set(key, total);
          this.options.progress(
            `round ${pass + 1} c=${concurrency} ${kind}: ${reply.completed} ok, ${reply.failed} failed, ` +
              `${round(reply.completed / (reply.wallMs / 1000), 0)}/s, cpu ${round(cpuMs / Math.max(1, reply.completed), 3)} ms/session`,
          );
        }
      }
    }
    const levels = (kind: ServerKind): ConcurrencyResult[] =>
      this.options.concurrencies.map((concurrency) => {
        const total = totals.get(`${kind}:${concurrency}`) as Totals;
        return {
          concurrency,
          sessions: total.completed + total.failed,
          completed: total.completed,
          failed: total.failed,
          sessionsPerSecond: round(total.completed / (total.wallMs / 1000), 1),
          p50Ms: round(percentile(total.durations, 50), 1),
          p99Ms: round(percentile(total.durations, 99), 1),
          cpuMsPerSession: round(total.cpuMs / Math.max(1, total.completed), 3),
          cpuMsPerSessionByRound: total.byRound,
        };
      });
    return { project: levels('project'), sdk: levels('sdk') };
  }

  /** The same sessions with no gap between a response and its events: first 0 ms timers, then one TCP write. */
  private async measureFinding(): Promise<Record<ServerKind, FindingResult[]>> {
    const finding: Record<ServerKind, FindingResult[]> = { project: [], sdk: [] };
    if (this.options.findingSessions === 0) return finding;
    const timeoutMs = Math.min(5_000, this.options.sessionTimeoutMs);
    const variants: Array<[string, Pacing]> = [
      ['gap 0 ms', { gapMs: 0, together: false, timeoutMs }],
      ['one TCP write', { gapMs: 0, together: true, timeoutMs }],
    ];
    for (const [name, pace] of variants) {
      for (const kind of SERVER_KINDS) {
        const reply = await this.runSessions(kind, this.options.findingSessions, 50, pace);
        finding[kind].push({
          pacing: name,
          sessions: this.options.findingSessions,
          completed: reply.completed,
          failed: reply.failed,
        });
        this.options.progress(`finding (${name}) ${kind}: ${reply.completed} ok, ${reply.failed} failed`);
      }
    }
    return finding;
  }
}

function fmtList(values: number[]): string {
  return values.map((value) => value.toFixed(0)).join(', ');
}
