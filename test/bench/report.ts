import type { BenchOptions, BenchResult, ServerResult } from './run-bench';
import type { BusBenchResult } from './run-bus-bench';
import { round } from './stats';

/** The targets: each a ceiling on project/SDK. */
export const TARGETS = { cpuPerSession: 0.5, memoryPerSession: 0.75, boot: 1.2 } as const;

export interface TargetCheck {
  ratio: number;
  limit: number;
  met: boolean;
}

export interface BenchReport extends BenchResult {
  bench: 'relay-hello: project vs bare @relaypro/sdk 2.4.0';
  date: string;
  durationSeconds: number;
  machine: { cpus: number; node: string; platform: string };
  options: Omit<BenchOptions, 'progress' | 'serverEntry' | 'sdkScript' | 'loadDriver' | 'cwd'>;
  /** project / SDK, same run. */
  ratios: Record<keyof typeof TARGETS, number> & { sessionsPerSecond: Record<string, number> };
  targets: Record<keyof typeof TARGETS, TargetCheck> & { zeroFailures: { failed: number; met: boolean } };
  /** The session bus across two project servers through Redis (project only; 2.4.0 has no bus). */
  bus?: BusBenchResult;
}

export function buildReport(
  result: BenchResult,
  options: BenchOptions,
  context: { date: Date; durationMs: number; cpus: number },
): BenchReport {
  const { project, sdk } = result.servers;
  const ratio = (a: number, b: number) => round(a / b, 3);
  const ratios = {
    cpuPerSession: ratio(project.cpuMsPerSession, sdk.cpuMsPerSession),
    memoryPerSession: ratio(project.memory.kbPerSession, sdk.memory.kbPerSession),
    boot: ratio(project.bootMs, sdk.bootMs),
    sessionsPerSecond: Object.fromEntries(
      project.concurrency.map((level, i) => [
        `c${level.concurrency}`,
        ratio(level.sessionsPerSecond, sdk.concurrency[i]?.sessionsPerSecond ?? NaN),
      ]),
    ),
  };
  const check = (key: keyof typeof TARGETS): TargetCheck => ({
    ratio: ratios[key],
    limit: TARGETS[key],
    met: ratios[key] <= TARGETS[key],
  });
  const failed = project.failed + project.memory.heldFailed + project.memory.releaseFailed;
  const { progress: _progress, serverEntry: _s, sdkScript: _k, loadDriver: _l, cwd: _c, ...shown } = options;
  return {
    bench: 'relay-hello: project vs bare @relaypro/sdk 2.4.0',
    date: context.date.toISOString(),
    durationSeconds: round(context.durationMs / 1000, 1),
    machine: { cpus: context.cpus, node: process.version, platform: `${process.platform}-${process.arch}` },
    options: shown,
    ...result,
    ratios,
    targets: {
      cpuPerSession: check('cpuPerSession'),
      memoryPerSession: check('memoryPerSession'),
      boot: check('boot'),
      zeroFailures: { failed, met: failed === 0 },
    },
  };
}

/** The side-by-side table, as printed and as pasted into docs/performance.md. */
export function formatTable(report: BenchReport): string {
  const { project, sdk } = report.servers;
  const rows: string[][] = [['figure', 'project', '@relaypro/sdk 2.4.0', 'project / SDK', 'target']];
  const target = (met: boolean, limit: number) => `≤ ${limit} ${met ? 'met' : 'MISSED'}`;
  const { targets } = report;
  rows.push([
    `CPU per session, ms (c=${report.options.cpuConcurrency})`,
    fmt(project.cpuMsPerSession, 3),
    fmt(sdk.cpuMsPerSession, 3),
    fmt(targets.cpuPerSession.ratio, 2),
    target(targets.cpuPerSession.met, targets.cpuPerSession.limit),
  ]);
  const headline = (server: ServerResult) =>
    server.concurrency.find((level) => level.concurrency === report.options.cpuConcurrency);
  const projectRounds = headline(project)?.cpuMsPerSessionByRound ?? [];
  const sdkRounds = headline(sdk)?.cpuMsPerSessionByRound ?? [];
  rows.push([
    '  the same, round by round',
    projectRounds.map((ms) => fmt(ms, 2)).join(', '),
    sdkRounds.map((ms) => fmt(ms, 2)).join(', '),
    projectRounds.map((ms, i) => fmt(ms / (sdkRounds[i] ?? NaN), 2)).join(', '),
    '',
  ]);
  rows.push([
    `memory per open session, KiB (${project.memory.levels.at(-1)?.open ?? 0} open)`,
    fmt(project.memory.kbPerSession, 1),
    fmt(sdk.memory.kbPerSession, 1),
    fmt(targets.memoryPerSession.ratio, 2),
    target(targets.memoryPerSession.met, targets.memoryPerSession.limit),
  ]);
  rows.push([
    'boot to first session, ms (median)',
    fmt(project.bootMs, 0),
    fmt(sdk.bootMs, 0),
    fmt(targets.boot.ratio, 2),
    target(targets.boot.met, targets.boot.limit),
  ]);
  project.concurrency.forEach((level, i) => {
    const other = sdk.concurrency[i];
    if (other === undefined) return;
    const c = `c=${level.concurrency}`;
    rows.push([
      `sessions/s, ${c}`,
      fmt(level.sessionsPerSecond, 0),
      fmt(other.sessionsPerSecond, 0),
      fmt(level.sessionsPerSecond / other.sessionsPerSecond, 2),
      '',
    ]);
    rows.push([
      `p50 / p99 session, ms, ${c}`,
      `${fmt(level.p50Ms, 0)} / ${fmt(level.p99Ms, 0)}`,
      `${fmt(other.p50Ms, 0)} / ${fmt(other.p99Ms, 0)}`,
      '',
      '',
    ]);
    rows.push([
      `CPU per session, ms, ${c}`,
      fmt(level.cpuMsPerSession, 3),
      fmt(other.cpuMsPerSession, 3),
      fmt(level.cpuMsPerSession / other.cpuMsPerSession, 2),
      '',
    ]);
    rows.push([
      `failed sessions, ${c}`,
      `${level.failed} of ${level.sessions}`,
      `${other.failed} of ${other.sessions}`,
      '',
      level.failed === 0 ? '0: met' : 'MISSED',
    ]);
  });
  for (const level of project.memory.levels) {
    const other = sdk.memory.levels.find((l) => l.open === level.open);
    rows.push([
      `RSS growth, ${level.open} open, KiB (per session)`,
      growth(level),
      other === undefined ? '' : growth(other),
      '',
      '',
    ]);
  }
  rows.push(['log output per session, bytes (lines)', logs(project), logs(sdk), '', '']);
  for (const [i, entry] of report.finding.project.entries()) {
    const other = report.finding.sdk[i];
    rows.push([
      `finding: failed, ${entry.pacing}`,
      `${entry.failed} of ${entry.sessions}`,
      other === undefined ? '' : `${other.failed} of ${other.sessions}`,
      '',
      '',
    ]);
  }
  return markdownTable(rows);
}

/** The bus phase's figures, as printed and as pasted into docs/performance.md. */
export function formatBusTable(bus: BusBenchResult): string {
  if ('skipped' in bus) return `session bus: skipped (${bus.skipped})`;
  const { memory } = bus;
  return markdownTable([
    ['session bus, two servers through Redis', 'project'],
    [
      `update posted to A until spoken by B, ms p50 / p99 (${bus.conversations} waiting)`,
      `${fmt(bus.spokenMs.p50, 2)} / ${fmt(bus.spokenMs.p99, 2)}`,
    ],
    ['update posted to A until its 202, ms p50 / p99', `${fmt(bus.answeredMs.p50, 2)} / ${fmt(bus.answeredMs.p99, 2)}`],
    ['failed updates', `${bus.failedPublishes} of ${bus.publishes}`],
    ['RSS per conversation listening (no subscription), KiB', fmt(memory.listeningKbPerConversation, 2)],
    ['RSS per conversation waiting (subscribed), KiB', fmt(memory.waitingKbPerConversation, 2)],
    ['  difference: a subscription and its wait, KiB', fmt(memory.subscriptionKb, 2)],
    [
      'heap per subscription alone, bytes (in-process / Redis bus)',
      `${bus.heapBytesPerSubscription.inProcess} / ${bus.heapBytesPerSubscription.redis}`,
    ],
    ['conversations failed (to wait / to end)', `${bus.failedToWait} / ${bus.failedToEnd}`],
  ]);
}

function growth(level: { growthKb: number; kbPerSession: number }): string {
  return `${level.growthKb} (${fmt(level.kbPerSession, 1)})`;
}

function logs(server: ServerResult): string {
  return `${fmt(server.logBytesPerSession, 0)} (${fmt(server.logLinesPerSession, 1)})`;
}

function fmt(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

function markdownTable(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)));
  const line = (row: string[]) => `| ${row.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join(' | ')} |`;
  const [head, ...body] = rows;
  return [line(head ?? []), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
