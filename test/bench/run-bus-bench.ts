import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { REDIS_SERVER, startRedis } from '../helpers/redis-server';
import { startBenchServer, type BenchServer } from './bench-server';
import { LoadClient } from './load-client';
import { readRssKb } from './proc-stats';
import { percentile, round } from './stats';

export interface BusBenchOptions {
  /** The project's compiled entry and the Procfile's node options. */
  serverEntry: string;
  serverNodeArgs: string[];
  cwd: string;
  /** The compiled load-driver.js. */
  loadDriver: string;
  /** Transport conversations held waiting on dyno B. */
  conversations: number;
  /** Updates posted to dyno A, one at a time. */
  publishes: number;
  /** Pause before each memory reading, ms. */
  settleMs: number;
  gapMs: number;
  progress: (line: string) => void;
}

export type BusBenchResult =
  | { skipped: string }
  | {
      conversations: number;
      /** Conversations that failed to open or to reach the wait for dispatch. */
      failedToWait: number;
      publishes: number;
      failedPublishes: number;
      /** POST to dyno A's hook until the say request frame from dyno B reaches the Relay-side client. */
      spokenMs: { p50: number; p99: number };
      /** POST to A's hook until its 202 (after every dyno counted the sessions that took it). */
      answeredMs: { p50: number; p99: number };
      /**
       * RSS growth of dyno B per conversation, over B before they opened: while each listens for
       * its room (no subscription yet), then while each waits for dispatch (subscribed, with its
       * give-up timer and request id). The difference bounds what a subscription costs.
       */
      memory: {
        baselineKb: number;
        listeningKbPerConversation: number;
        waitingKbPerConversation: number;
        subscriptionKb: number;
      };
      /**
       * Heap bytes one subscription itself costs (its handler and the bus's bookkeeping), measured
       * with forced collections by bus-cost.ts on an in-process and a Redis bus: the precise figure
       * the RSS difference above cannot give.
       */
      heapBytesPerSubscription: { inProcess: number; redis: number };
      /** Conversations that did not end on the double tap. */
      failedToEnd: number;
    };

/** What `npm run bench` prints when it cannot measure the bus. */
export const NO_REDIS =
  'bus: skipped, no redis-server here (sudo apt-get install redis-server, or brew install redis, then run npm run bench -- --only bus)';

/**
 * The session bus across two dynos through Redis: a private redis-server and two project servers
 * (A and B, each with REDIS_URL and WEBHOOK_SECRET). The load process holds `conversations`
 * transport conversations on B and posts updates to A's `POST /hooks/transport/:id`.
 */
export async function runBusBench(options: BusBenchOptions): Promise<BusBenchResult> {
  if (REDIS_SERVER === undefined) {
    options.progress(NO_REDIS);
    return { skipped: 'no redis-server' };
  }
  const load = LoadClient.start(options.loadDriver);
  try {
    return await measureBus(options, load);
  } finally {
    await load.stop();
  }
}

async function measureBus(options: BusBenchOptions, load: LoadClient): Promise<BusBenchResult> {
  const redis = await startRedis();
  const secret = randomBytes(16).toString('hex');
  const servers: BenchServer[] = [];
  try {
    const start = () =>
      startBenchServer({
        kind: 'project',
        entry: options.serverEntry,
        nodeArgs: options.serverNodeArgs,
        cwd: options.cwd,
        maxSessions: options.conversations + 1000,
        env: { REDIS_URL: redis.url, WEBHOOK_SECRET: secret },
        workflow: 'transport',
      });
    const [a, b] = await Promise.all([start(), start()]);
    servers.push(a, b);
    await Promise.all([busReady(a), busReady(b)]);
    const pace = { gapMs: options.gapMs, together: false, timeoutMs: 600_000 };
    // Warm-up: a small round of the same, so the measured one finds both servers' code compiled.
    const warm = Math.min(50, options.conversations);
    await load.send({ cmd: 'transport-open', url: b.url, count: warm, ...pace });
    await load.send({ cmd: 'transport-wait' });
    await load.send({ cmd: 'bus-latency', hookBase: a.base, secret, publishes: Math.min(100, options.publishes) });
    await load.send({ cmd: 'transport-end' });

    await sleep(options.settleMs);
    const baselineKb = readRssKb(b.pid);
    const opened = await load.send({ cmd: 'transport-open', url: b.url, count: options.conversations, ...pace });
    await sleep(options.settleMs);
    const listeningKb = readRssKb(b.pid) - baselineKb;
    const waiting = await load.send({ cmd: 'transport-wait' });
    await sleep(options.settleMs);
    const waitingKb = readRssKb(b.pid) - baselineKb;
    options.progress(
      `bus: ${waiting.ok} conversations waiting on B; RSS +${listeningKb} KiB listening, +${waitingKb} KiB subscribed`,
    );
    const times = await load.send({ cmd: 'bus-latency', hookBase: a.base, secret, publishes: options.publishes });
    const ended = await load.send({ cmd: 'transport-end' });
    for (const server of servers) server.assertRunning();
    const per = (kb: number) => round(kb / Math.max(1, options.conversations), 2);
    const result = {
      conversations: options.conversations,
      failedToWait: opened.failed + waiting.failed,
      publishes: options.publishes,
      failedPublishes: times.failed,
      spokenMs: { p50: round(percentile(times.spokenMs, 50), 2), p99: round(percentile(times.spokenMs, 99), 2) },
      answeredMs: { p50: round(percentile(times.answeredMs, 50), 2), p99: round(percentile(times.answeredMs, 99), 2) },
      memory: {
        baselineKb,
        listeningKbPerConversation: per(listeningKb),
        waitingKbPerConversation: per(waitingKb),
        subscriptionKb: per(waitingKb - listeningKb),
      },
      failedToEnd: ended.failed,
      heapBytesPerSubscription: await heapPerSubscription(options, redis.url),
    };
    options.progress(
      `bus: spoken p50 ${result.spokenMs.p50} ms, p99 ${result.spokenMs.p99} ms over ${times.spokenMs.length} updates, ${times.failed} failed`,
    );
    return result;
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await redis.stop();
  }
}

/** Runs bus-cost.js (with --expose-gc) on the same Redis for the heap a subscription costs. */
function heapPerSubscription(
  options: BusBenchOptions,
  redisUrl: string,
): Promise<{ inProcess: number; redis: number }> {
  const script = join(dirname(options.loadDriver), 'bus-cost.js');
  const args = [
    '--expose-gc',
    script,
    '--redis-url',
    redisUrl,
    '--subscriptions',
    String(Math.max(1000, options.conversations)),
    '--publishes',
    '200',
  ];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error !== null) return reject(new Error(`bus-cost.js failed: ${error.message}\n${stderr}`));
      const figures = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
        bytesPerSubscription?: { inProcess: number; redis: number };
      };
      if (figures.bytesPerSubscription === undefined)
        return reject(new Error(`bus-cost.js printed no figures: ${stdout.slice(0, 300)}`));
      resolve(figures.bytesPerSubscription);
    });
  });
}

/** Polls the server's /health until its bus is `ready` (Redis connected), for at most 10 s. */
async function busReady(server: BenchServer): Promise<void> {
  const deadline = performance.now() + 10_000;
  for (;;) {
    const health = await fetch(`${server.base}/health`)
      .then((answer) => answer.json() as Promise<{ bus?: { state?: string } }>)
      .catch(() => undefined);
    if (health?.bus?.state === 'ready') return;
    server.assertRunning();
    if (performance.now() > deadline)
      throw new Error(`the bus of ${server.base} was not ready after 10 s (state ${health?.bus?.state ?? 'unknown'})`);
    await sleep(25);
  }
}
