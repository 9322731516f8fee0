/**
 * What the session bus costs (issue 14): heap per subscription (in-process and Redis bus), and
 * publish-to-handler latency through Redis between two buses (two connections pairs, as two dynos
 * would have; in one process here, so the figure includes no second process's scheduling).
 *
 *   node --expose-gc test-output/build/test/bench/bus-cost.js [--redis-url redis://127.0.0.1:6379] [--subscriptions 10000] [--publishes 2000]
 *
 * Without --redis-url it starts a private redis-server (Debian's /usr/bin/redis-server) on a free port.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { InProcessBus } from '../../src/bus/in-process-bus';
import { RedisBus } from '../../src/bus/redis-bus';
import type { SessionBus } from '../../src/bus/session-bus';
import { createLogger } from '../../src/logger';

const log = createLogger({ level: 'silent' });

function collect(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Heap bytes per subscription, each on its own topic with its own closure (as sessions have),
 * once the Redis bus's registry entries are answered (a lookup on its connection comes after them).
 */
async function bytesPerSubscription(bus: SessionBus, count: number): Promise<number> {
  const before = collect();
  const stops: Array<() => void> = [];
  for (let i = 0; i < count; i++) {
    const requestId = i.toString(16).padStart(6, '0');
    stops.push(bus.subscribe(`transport:${requestId}`, (data) => data !== requestId));
  }
  await bus.hasSubscribers('transport:none');
  const after = collect();
  for (const stop of stops) stop();
  await bus.hasSubscribers('transport:none');
  return (after - before) / count;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function latency(
  url: string,
  topics: number,
  publishes: number,
): Promise<{ deliverP50: number; deliverP99: number; countedP50: number; countedP99: number }> {
  const publisher = new RedisBus({ url, logger: log });
  const holder = new RedisBus({ url, logger: log });
  await Promise.all([publisher.whenReady(), holder.whenReady()]);
  let sentAt = 0n;
  const delivered: number[] = [];
  const counted: number[] = [];
  for (let i = 0; i < topics; i++)
    holder.subscribe(`transport:${i}`, () => void delivered.push(Number(process.hrtime.bigint() - sentAt) / 1e6));
  for (let i = 0; i < publishes; i++) {
    sentAt = process.hrtime.bigint();
    const taken = await publisher.publish(`transport:${i % topics}`, { status: 'assigned', by: 'Bob', eta_minutes: 5 });
    counted.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
    if (taken !== 1) throw new Error(`publish ${i} reached ${taken} sessions, not 1`);
  }
  await Promise.all([publisher.close(), holder.close()]);
  const d = delivered.slice(100).sort((a, b) => a - b);
  const c = counted.slice(100).sort((a, b) => a - b);
  return {
    deliverP50: percentile(d, 50),
    deliverP99: percentile(d, 99),
    countedP50: percentile(c, 50),
    countedP99: percentile(c, 99),
  };
}

async function privateRedis(): Promise<{ url: string; stop: () => void }> {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}`)));
  });
  child.stdout.resume();
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'redis-url': { type: 'string' },
      subscriptions: { type: 'string', default: '10000' },
      publishes: { type: 'string', default: '2000' },
    },
  });
  const count = Number(values.subscriptions);
  const redis =
    values['redis-url'] === undefined ? await privateRedis() : { url: values['redis-url'], stop: () => undefined };
  try {
    const inProcess = new InProcessBus({ logger: log });
    await bytesPerSubscription(inProcess, 1000); // warm-up: the first Map growth and JIT
    const inProcessBytes = await bytesPerSubscription(inProcess, count);
    const redisBus = new RedisBus({ url: redis.url, logger: log });
    await redisBus.whenReady();
    await bytesPerSubscription(redisBus, 1000);
    const redisBytes = await bytesPerSubscription(redisBus, count);
    await redisBus.close();
    const times = await latency(redis.url, 1000, Number(values.publishes));
    const result = {
      subscriptions: count,
      bytesPerSubscription: { inProcess: Math.round(inProcessBytes), redis: Math.round(redisBytes) },
      redisLatencyMs: times,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    redis.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
