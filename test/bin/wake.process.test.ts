import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createWorkflowServer, type WorkflowServer } from '../../src';
import { BUILD_DIR } from '../global-setup';
import { memoryLogger } from '../helpers/memory-logger';
import { freePort } from '../helpers/spawn-server';

const WAKE = join(BUILD_DIR, 'bin', 'wake.js');

interface Run {
  /** Resolves with the first stdout line matching, written already or still to come. */
  line: (pattern: RegExp) => Promise<string>;
  exited: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** The compiled `npm run wake` entry as a child process. */
function wake(...args: string[]): Run {
  const child = spawn(process.execPath, [WAKE, ...args], { env: { PATH: process.env.PATH ?? '' } });
  const lines: string[] = [];
  const waiting: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const wait of waiting.filter((w) => w.pattern.test(line))) {
      waiting.splice(waiting.indexOf(wait), 1);
      wait.resolve(line);
    }
  });
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout: lines.join('\n'), stderr })),
  );
  return {
    exited,
    line: (pattern) => {
      const seen = lines.find((line) => pattern.test(line));
      return seen !== undefined ? Promise.resolve(seen) : new Promise((resolve) => waiting.push({ pattern, resolve }));
    },
  };
}

const servers: WorkflowServer[] = [];
afterEach(() => Promise.all(servers.splice(0).map((server) => server.close(0))));

function server(): WorkflowServer {
  const created = createWorkflowServer({ logger: memoryLogger().logger, workflows: { hello: () => undefined } });
  servers.push(created);
  return created;
}

describe('npm run wake (src/bin/wake.ts as a child process)', () => {
  it('exits 0 and says how long it took when /health answers', async () => {
    const { port } = await server().listen(0, '127.0.0.1');
    const run = await wake(`http://127.0.0.1:${port}`).exited;
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^waking http://127\\.0\\.0\\.1:${port} `));
    expect(run.stdout).toMatch(/awake after \d+\.\d s \(1 attempt\): status ok, up \d+ s, 0 open sessions$/);
  });

  it('keeps polling while nothing listens, and succeeds once the server starts', async () => {
    const port = await freePort();
    const run = wake(`http://127.0.0.1:${port}/some/path`);
    expect(await run.line(/^attempt 1: /)).toBe('attempt 1: connection failed (ECONNREFUSED); trying again');
    await server().listen(port, '127.0.0.1');
    const done = await run.exited;
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/awake after \d+\.\d s \(\d+ attempts\)/);
  });

  it('with nothing listening, gives up at --timeout with exit 1 and a clear message', async () => {
    const port = await freePort();
    const done = await wake(`http://127.0.0.1:${port}`, '--timeout', '1').exited;
    expect(done.code).toBe(1);
    expect(done.stderr).toMatch(
      new RegExp(
        `^wake: http://127\\.0\\.0\\.1:${port}/health did not answer within 1 s \\(\\d+ attempts?\\); last: connection failed \\(ECONNREFUSED\\)\\. `,
      ),
    );
  });

  it('stops at once, exit 1, on an answer that waiting will not change (a 404: not this app)', async () => {
    const other = createServer((_req, res) => res.writeHead(404).end('no such app'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const otherPort = (other.address() as { port: number }).port;
    const done = await wake(`http://127.0.0.1:${otherPort}`).exited;
    await new Promise((resolve) => other.close(resolve));
    expect(done.code).toBe(1);
    expect(done.stderr).toBe(
      `wake: http://127.0.0.1:${otherPort}/health cannot answer: HTTP 404. Is this the app URL? heroku apps:info shows it.\n`,
    );
  });

  it.each([
    [[], 'usage: npm run wake -- <app url>'],
    [['wss://demo.herokuapp.com/hello'], 'must be an http:// or https:// URL'],
    [['https://demo.herokuapp.com', '--timeout', 'soon'], '--timeout takes seconds from 1 to 600, got "soon"'],
  ])('exits 2 with a usage message for %j', async (args, message) => {
    const done = await wake(...args).exited;
    expect(done.code).toBe(2);
    expect(done.stderr).toContain(message);
  });
});
