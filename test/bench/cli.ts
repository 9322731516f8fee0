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
import { buildReport, formatBusTable, formatTable } from './report';
import { runBench, type BenchOptions } from './run-bench';
import { runBusBench, type BusBenchOptions } from './run-bus-bench';
import { formatSecretTable, runSecretBench, type SecretBenchOptions } from './run-secret-bench';
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
  --bus-conversations N  transport conversations waiting on dyno B in the bus phase (default 1000)
  --bus-publishes N    updates posted to dyno A in the bus phase, one at a time (default 500)
  --only bus           run only the bus phase (two servers sharing a private redis-server)
  --only secret        run only the WORKFLOW_SECRET comparison: two project servers, with and without it,
                       --rounds rounds of --secret-sessions sessions each at --secret-concurrency
  --secret-sessions N  sessions per server and round in --only secret (default 500)
  --secret-concurrency N  sessions in flight in --only secret (default 10)
  --server PATH        the project's compiled entry (default dist/server.js)
  --out PATH           where to write the JSON (default bench-results/latest.json)`;

function parseOptions(
  argv: string[],
):
  | { options: BenchOptions; bus: BusBenchOptions; secret: SecretBenchOptions; only?: 'bus' | 'secret'; out: string }
  | string {
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
      'bus-conversations': { type: 'string', default: '1000' },
      'bus-publishes': { type: 'string', default: '500' },
      'secret-sessions': { type: 'string', default: '500' },
      'secret-concurrency': { type: 'string', default: '10' },
      only: { type: 'string' },
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
  if (values.only !== undefined && values.only !== 'bus' && values.only !== 'secret')
    throw new Error(`--only takes bus or secret, got ${values.only}`);
  const serverNodeArgs = webNodeArgs(readFileSync(join(REPO, 'Procfile'), 'utf8'));
  const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);
  return {
    out: resolve(values.out),
    only: values.only,
    secret: {
      serverEntry,
      serverNodeArgs,
      cwd: REPO,
      loadDriver: join(__dirname, 'load-driver.js'),
      rounds: count('rounds', values.rounds, 1),
      sessions: count('secret-sessions', values['secret-sessions'], 1),
      concurrency: count('secret-concurrency', values['secret-concurrency'], 1),
      warmupSessions: count('warmup', values.warmup, 0),
      gapMs: count('gap', values.gap, 0),
      sessionTimeoutMs: count('timeout', values.timeout, 100),
      progress,
    },
    bus: {
      serverEntry,
      serverNodeArgs,
      cwd: REPO,
      loadDriver: join(__dirname, 'load-driver.js'),
      conversations: count('bus-conversations', values['bus-conversations'], 1),
      publishes: count('bus-publishes', values['bus-publishes'], 1),
      settleMs: count('settle', values.settle, 0),
      gapMs: count('gap', values.gap, 0),
      progress,
    },
    options: {
      serverEntry,
      serverNodeArgs,
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
      progress,
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
  if (parsed.only === 'secret') {
    const secret = await runSecretBench(parsed.secret);
    const durationSeconds = Math.round((performance.now() - started) / 100) / 10;
    const json = JSON.stringify({ bench: 'secret', date: date.toISOString(), durationSeconds, secret });
    write(parsed.out, json, formatSecretTable(secret), date, durationSeconds);
    return;
  }
  if (parsed.only === 'bus') {
    const bus = await runBusBench(parsed.bus);
    const durationSeconds = Math.round((performance.now() - started) / 100) / 10;
    const json = JSON.stringify({ bench: 'bus', date: date.toISOString(), durationSeconds, bus });
    write(parsed.out, json, formatBusTable(bus), date, durationSeconds);
    return;
  }
  const result = await runBench(parsed.options);
  const bus = await runBusBench(parsed.bus);
  const report = {
    ...buildReport(result, parsed.options, {
      date,
      durationMs: performance.now() - started,
      cpus: availableParallelism(),
    }),
    bus,
  };
  write(
    parsed.out,
    JSON.stringify(report),
    `${formatTable(report)}\n\n${formatBusTable(bus)}`,
    date,
    report.durationSeconds,
  );
}

function write(out: string, json: string, table: string, date: Date, durationSeconds: number): void {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${json}\n`);
  process.stdout.write(`\n${table}\n\nrun ${date.toISOString()}, ${durationSeconds} s; JSON in ${out}\n${json}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
