import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchReport } from './bench/report';
import { BUILD_DIR, BUILD_ROOT } from './global-setup';

/**
 * A tiny run of `npm run bench` (compiled by the global setup): both servers in child processes,
 * driven by the load process, every phase with a few sessions. It checks the report's shape and
 * that both servers completed sessions, never a timing.
 */
describe('npm run bench, smoke run', () => {
  it('runs both servers and reports every figure side by side', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'relay-bench-')), 'latest.json');
    const args = [
      join(BUILD_ROOT, 'test', 'bench', 'cli.js'),
      ...['--server', join(BUILD_DIR, 'server.js'), '--out', out, '--rounds', '1', '--sessions', '20'],
      ...['--concurrency', '10,50', '--memory', '10,20', '--boot-rounds', '1', '--warmup', '5', '--finding', '5', '--gap', '20'],
      ...['--timeout', '2000', '--settle', '100'],
    ];
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, args, { timeout: 60_000 }, (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)));
    });
    const lastLine = stdout.trim().split('\n').at(-1) ?? '';
    const report = JSON.parse(lastLine) as BenchReport;
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(report);
    expect(stdout).toContain('| CPU per session, ms (c=50)');
    // The project's server runs with the Procfile's node options, as on a dyno.
    const procfileOptions = /^web: node (.*?) ?dist\/server\.js$/m.exec(readFileSync('Procfile', 'utf8'))?.[1] ?? '';
    expect(report.options.serverNodeArgs).toEqual(procfileOptions.split(' ').filter(Boolean));

    for (const kind of ['project', 'sdk'] as const) {
      const server = report.servers[kind];
      expect(server.concurrency.map((level) => level.concurrency)).toEqual([10, 50]);
      for (const level of server.concurrency) {
        expect(level).toEqual({
          concurrency: expect.any(Number),
          sessions: 20,
          completed: expect.any(Number),
          failed: expect.any(Number),
          sessionsPerSecond: expect.any(Number),
          p50Ms: expect.any(Number),
          p99Ms: expect.any(Number),
          cpuMsPerSession: expect.any(Number),
          cpuMsPerSessionByRound: [expect.any(Number)],
        });
        expect(level.completed).toBeGreaterThan(0);
        expect(level.completed + level.failed).toBe(20);
      }
      expect(server.bootMs).toBeGreaterThan(0);
      expect(server.memory.levels.map((level) => level.open)).toEqual([10, 20]);
      expect(server.logLinesPerSession).toBeGreaterThan(0);
      expect(report.finding[kind].map((entry) => entry.pacing)).toEqual(['gap 0 ms', 'one TCP write']);
    }
    // The project's server never loses a session.
    expect(report.servers.project.failed).toBe(0);
    expect(report.finding.project.every((entry) => entry.failed === 0)).toBe(true);
    for (const key of ['cpuPerSession', 'memoryPerSession', 'boot'] as const) {
      expect(report.targets[key]).toEqual({ ratio: report.ratios[key], limit: expect.any(Number), met: expect.any(Boolean) });
    }
  }, 60_000);
});
