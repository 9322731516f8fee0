import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import WebSocket from 'ws';
import { simulate } from '../../src/testing';
import { freePort, spawnServer, type ServerProcess } from '../helpers/spawn-server';

const STORM = 2000;
const ROUNDS = 3;

const mb = (bytes: number) => Math.round((bytes / 1_048_576) * 10) / 10;

/**
 * The server's JS heap after a full collection and its resident memory (MB), and its open file
 * descriptors. Resident memory includes what the allocator keeps for reuse; the heap is what
 * the server still holds on to.
 */
async function usage(server: ServerProcess): Promise<{ heapMb: number; rssMb: number; fds: number }> {
  const answer = new Promise<NodeJS.MemoryUsage>((resolve) =>
    server.child.once('message', (m) => resolve(m as NodeJS.MemoryUsage)),
  );
  server.child.send({ measure: true });
  const memory = await answer;
  return {
    heapMb: mb(memory.heapUsed),
    rssMb: mb(memory.rss),
    fds: readdirSync(`/proc/${server.child.pid}/fd`).length,
  };
}

function openSessions(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    get(`http://127.0.0.1:${port}/health`, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve((JSON.parse(body) as { sessions: number }).sessions));
    }).on('error', reject);
  });
}

async function settled(port: number): Promise<void> {
  while ((await openSessions(port)) > 0) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** Opens `count` connections at once; each drops as soon as it opens, half of them sending garbage first. */
function storm(url: string, count: number): Promise<void> {
  return Promise.all(
    Array.from(
      { length: count },
      (_, i) =>
        new Promise<void>((resolve) => {
          const socket = new WebSocket(url);
          socket.on('error', () => resolve());
          socket.on('close', () => resolve());
          socket.on('open', () => {
            if (i % 2 === 0) socket.send('{not json');
            socket.terminate();
          });
        }),
    ),
  ).then(() => undefined);
}

describe('a storm of connections against the real server process', () => {
  let server: ServerProcess | undefined;
  afterAll(() => server?.child.kill('SIGKILL'));

  it(`serves a healthy session through ${ROUNDS} storms of ${STORM} connections and gives back what they took`, async () => {
    const port = await freePort();
    server = spawnServer(
      { PORT: String(port), MAX_SESSIONS: String(STORM * 2), LOG_LEVEL: 'error' },
      { entry: join(__dirname, '..', 'fixtures', 'measured-server.js'), nodeArgs: ['--expose-gc'] },
    );
    await new Promise<void>((resolve) => {
      const poll = () =>
        void openSessions(port).then(
          () => resolve(),
          () => setTimeout(poll, 20),
        );
      poll();
    });
    for (let i = 0; i < 10; i++) {
      await Promise.all(
        Array.from({ length: 20 }, () => simulate(`ws://127.0.0.1:${port}/hello`, { answers: ['warm'] })),
      );
    }
    const baseline = await usage(server);
    const rounds: Array<{ heapMb: number; rssMb: number; fds: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const healthy = simulate(`ws://127.0.0.1:${port}/hello`, { answers: ['Kim'], timeoutMs: 60_000 });
      await storm(`ws://127.0.0.1:${port}/hello`, STORM);
      expect((await healthy).says).toEqual(['What is your name?', 'Hello Kim!']);
      await settled(port);
      rounds.push(await usage(server));
    }
    const report = { storm: STORM, baseline, rounds };
    mkdirSync(join(__dirname, '..', '..', 'test-output'), { recursive: true });
    writeFileSync(join(__dirname, '..', '..', 'test-output', 'stress.json'), `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`connection storm: ${JSON.stringify(report)}\n`);
    // Every socket the storms opened is closed again.
    for (const round of rounds) expect(round.fds).toBeLessThanOrEqual(baseline.fds + 2);
    // The heap returns to its baseline: 2000 leaked sessions would hold tens of MB; 2 MB covers
    // what V8 keeps in compiled code and caches.
    for (const round of rounds) expect(round.heapMb).toBeLessThanOrEqual(baseline.heapMb + 2);
  }, 180_000);
});
