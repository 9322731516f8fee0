import { simulate, type RelaySimulator } from '../../src/testing';
import { redisTestsRun, startRedis, type PrivateRedis } from '../helpers/redis-server';
import { freePort, spawnServer, type ServerProcess } from '../helpers/spawn-server';

const withRedis = redisTestsRun();
const SECRET = 'two-dynos-secret-0123456789';

interface Dyno {
  process: ServerProcess;
  base: string;
}

/** The real entry (dist/server.js) on its own port, sharing `redisUrl`, as one web dyno. */
async function startDyno(redisUrl: string, running: ServerProcess[]): Promise<Dyno> {
  const port = await freePort();
  const process = spawnServer({ PORT: String(port), REDIS_URL: redisUrl, WEBHOOK_SECRET: SECRET });
  running.push(process);
  await process.line('server listening');
  return { process, base: `http://127.0.0.1:${port}` };
}

async function health(dyno: Dyno): Promise<{ status: string; sessions: number; bus: { kind: string; state: string } }> {
  const answer = await fetch(`${dyno.base}/health`);
  expect(answer.status).toBe(200);
  return (await answer.json()) as { status: string; sessions: number; bus: { kind: string; state: string } };
}

/** Polls /health until its bus is `state` (each poll waits for the answer, then 25 ms). */
async function busBecomes(dyno: Dyno, state: string, withinMs = 8_000): Promise<void> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    const current = (await health(dyno)).bus.state;
    if (current === state) return;
    if (performance.now() > deadline)
      throw new Error(`the bus of ${dyno.base} stayed ${current}, not ${state}, for ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Resolves with the process's lines with this `msg` once there are `count` of them (stdout is not in step with HTTP answers). */
function linesWith(dyno: Dyno, msg: string, count: number): Promise<Array<Record<string, unknown>>> {
  const { lines, child } = dyno.process;
  const found = () => lines.filter((line) => line.msg === msg);
  return new Promise((resolve) => {
    const check = () => {
      if (found().length < count) return;
      child.stdout.off('data', recheck);
      resolve(found());
    };
    // The helper parses each line on the same event: check once that listener has run.
    const recheck = () => setImmediate(check);
    child.stdout.on('data', recheck);
    check();
  });
}

function postUpdate(dyno: Dyno, requestId: string, body: unknown): Promise<Response> {
  return fetch(`${dyno.base}/hooks/transport/${requestId}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** The request id the workflow speaks when no dispatch system is set ("3 f 9 a 1 c"). */
async function spokenRequestId(sim: RelaySimulator): Promise<string> {
  const said = await sim.waitFor(
    (frame) => frame._type === 'wf_api_say_request' && String(frame.text).includes('request number is'),
  );
  const match = /request number is ([0-9a-f ]+)\.$/.exec(String(said.text));
  if (match?.[1] === undefined) throw new Error(`no request id in ${String(said.text)}`);
  return match[1].replaceAll(' ', '');
}

const spoken = (sim: RelaySimulator, start: string) =>
  sim.waitFor((frame) => frame._type === 'wf_api_say_request' && String(frame.text).startsWith(start));

(withRedis ? describe : describe.skip)('two dynos sharing a Redis (two server processes)', () => {
  let redis: PrivateRedis;
  const running: ServerProcess[] = [];

  beforeEach(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    for (const server of running.splice(0)) server.child.kill('SIGKILL');
    await redis.stop();
  });

  it('carries an update posted to A to the conversation held by B, survives a Redis outage, and delivers again after it', async () => {
    const [a, b] = await Promise.all([startDyno(redis.url, running), startDyno(redis.url, running)]);
    await Promise.all([busBecomes(a, 'ready'), busBecomes(b, 'ready')]);
    const answers: number[] = [];
    let outage: { ms: number; sessionsOnB: number; stateOnA: string } | undefined;

    const result = await simulate(`${b.base.replace('http', 'ws')}/transport`, {
      answers: ['12 B'],
      timeoutMs: 12_000,
      script: async (sim) => {
        const id = await spokenRequestId(sim);
        answers.push((await postUpdate(a, 'ffffff', { status: 'arriving' })).status);
        answers.push((await postUpdate(a, id, { status: 'assigned', by: 'Bob', eta_minutes: 5 })).status);
        await spoken(sim, 'Transport assigned');

        await redis.kill();
        const started = performance.now();
        const refused = await postUpdate(a, id, { status: 'arriving' });
        outage = {
          ms: performance.now() - started,
          sessionsOnB: (await health(b)).sessions,
          stateOnA: (await health(a)).bus.state,
        };
        answers.push(refused.status);

        await redis.restart();
        await Promise.all([busBecomes(a, 'ready'), busBecomes(b, 'ready')]);
        answers.push((await postUpdate(a, id, { status: 'arriving' })).status);
      },
    });

    expect(answers).toEqual([404, 202, 503, 202]);
    expect(result.says.slice(-2)).toEqual(['Transport assigned: Bob, about 5 minutes.', 'Your transport is arriving.']);
    expect(result.terminated).toBe(true);
    // The outage: a quick 503 from A, B's conversation still open, A's /health still 200 but saying so.
    expect(outage?.ms).toBeLessThan(2_500);
    expect(outage?.sessionsOnB).toBe(1);
    expect(outage?.stateOnA).not.toBe('ready');
    // Neither process crashed, and each logged the outage and the recovery.
    for (const dyno of [a, b]) {
      expect(dyno.process.child.exitCode).toBeNull();
      await linesWith(dyno, 'session bus connected to Redis', 2);
      const bus = dyno.process.lines
        .filter((line) => String(line.msg).startsWith('session bus'))
        .map((line) => line.msg);
      expect(bus).toEqual([
        'session bus connected to Redis',
        'session bus lost Redis: publishing fails with 503 until it reconnects',
        'session bus connected to Redis',
      ]);
      expect(dyno.process.stderr()).toBe('');
    }
    // The webhook's log lines name the request id and the outcome only.
    const hookLines = await linesWith(a, 'transport hook answered', 4);
    expect(hookLines.map((line) => line.outcome)).toEqual([404, 202, 503, 202]);
    expect(JSON.stringify(a.process.lines)).not.toContain('Bob');
  });
});
