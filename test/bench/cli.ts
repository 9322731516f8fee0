/**
 * `npm run bench`: this project's server against the bare @relaypro/sdk 2.4.0 server, side by
 * side in one run (see docs/performance.md). Prints progress to stderr, then the table and one
 * JSON line to stdout, and writes the JSON to bench-results/latest.json.
 *
 *   npm run build && npm run bench -- [--rounds 5] [--sessions 2000] [--memory 1000,2000,4000] ...
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildReport, formatTable } from './report';
import { runBench, type BenchOptions } from './run-bench';
import { webNodeArgs } from './web-node-args';

const REPO = resolve(__dirname, '..', '..', '..', '..');

const USAGE = `usage: npm run bench -- [options]
  --rounds N           throughput rounds, A and B alternating (default 5)
  --sessions N         sessions per server and round at each concurrency c, capped at 50 × c (default 2000)
  --concurrency LIST   concurrency levels (default 10,50,200)
  --memory LIST        sessions held open, in steps (default 1000,2000,4000)
  --boot-rounds N      fresh starts of each server for the boot figure (default 5)
  --gap MS             the simulator's prompt gap, both servers (default 50)
  --warmup N           sessions per server before measuring, and again after the memory phase (default 500)
  --finding N          sessions per server in the gap-0 finding, 0 to skip (default 200)
  --timeout MS         a session not over by then counts as failed (default 10000; 5000 at most in the finding)
  --settle MS          pause before each memory reading (default 1000)
  --server PATH        the project's compiled entry (default dist/server.js)
  --out PATH           where to write the JSON (default bench-results/latest.json)`;

function parseOptions(argv: string[]): { options: BenchOptions; out: string } | string {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '5' },
      sessions: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '10,50,200' },
      memory: { type: 'string', default: '1000,2000,4000' },
      'boot-rounds': { type: 'string', default: '5' },
      gap: { type: 'string', default: '50' },
      warmup: { type: 'string', default: '500' },
      finding: { type: 'string', default: '200' },
      timeout: { type: 'string', default: '10000' },
      settle: { type: 'string', default: '1000' },
      server: { type: 'string', default: join(REPO, 'dist', 'server.js') },
      out: { type: 'string', default: join(REPO, 'bench-results', 'latest.json') },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return USAGE;
  const count = (name: string, raw: string, min: number): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${raw}`);
    return value;
  };
  const list = (name: string, raw: string) => raw.split(',').map((part) => count(name, part.trim(), 1));
  const concurrencies = list('concurrency', values.concurrency);
  const serverEntry = resolve(values.server);
  if (!existsSync(serverEntry)) throw new Error(`${serverEntry} does not exist: run npm run build first`);
  return {
    out: resolve(values.out),
    options: {
      serverEntry,
      serverNodeArgs: webNodeArgs(readFileSync(join(REPO, 'Procfile'), 'utf8')),
      sdkScript: join(REPO, 'test', 'bench', 'sdk-hello.js'),
      loadDriver: join(__dirname, 'load-driver.js'),
      cwd: REPO,
      rounds: count('rounds', values.rounds, 1),
      sessions: count('sessions', values.sessions, 1),
      concurrencies,
      cpuConcurrency: concurrencies.includes(50) ? 50 : (concurrencies[0] as number),
      memoryLevels: list('memory', values.memory),
      bootRounds: count('boot-rounds', values['boot-rounds'], 1),
      warmupSessions: count('warmup', values.warmup, 0),
      settleMs: count('settle', values.settle, 0),
      gapMs: count('gap', values.gap, 0),
      findingSessions: count('finding', values.finding, 0),
      sessionTimeoutMs: count('timeout', values.timeout, 100),
      progress: (line) => process.stderr.write(`bench: ${line}\n`),
    },
  };
}

async function main(): Promise<void> {
  const parsed = parseOptions(process.argv.slice(2));
  if (typeof parsed === 'string') {
    process.stdout.write(`${parsed}\n`);
    return;
  }
  const date = new Date();
  const started = performance.now();
  const result = await runBench(parsed.options);
  const report = buildReport(result, parsed.options, { date, durationMs: performance.now() - started, cpus: availableParallelism() });
  const json = JSON.stringify(report);
  mkdirSync(dirname(parsed.out), { recursive: true });
  writeFileSync(parsed.out, `${json}\n`);
  process.stdout.write(`\n${formatTable(report)}\n\nrun ${report.date}, ${report.durationSeconds} s; JSON in ${parsed.out}\n${json}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
