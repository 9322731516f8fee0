/**
 * The load process of `npm run bench`: a child process that plays the Relay server against a
 * workflow server with the project's simulator, on the parent's commands (see load-protocol.ts).
 * Kept apart from the servers and from the parent, so neither's CPU is counted for the other.
 */
import { performance } from 'node:perf_hooks';
import { simulate } from '../../src/sim/simulate';
import type { Answers } from '../../src/sim/relay-simulator';
import type { TranscriptEntry } from '../../src/sim/wire';
import { awaitTransport, busLatency, endTransport, openTransport } from './load-transport';
import type {
  BootReply,
  Envelope,
  HoldReply,
  LoadCommand,
  LoadReply,
  Pacing,
  ReleaseReply,
  RunReply,
} from './load-protocol';

const NAME = 'Ana';
/** What the device must hear for a session to count as completed. */
export const GREETING = `Hello ${NAME}!`;
/** How many held sessions may be on their way to `listen` at once. */
const OPENING_AT_ONCE = 100;
/**
 * A held session not listening this long after it started counts as failed (2.4.0 can lose one
 * on the way), so that the others are not kept waiting past 2.4.0's 32 s listen limit.
 */
const REACH_LISTEN_MS = 5_000;

interface Outcome {
  ok: boolean;
  ms: number;
  /** Start event sent to first action received, ms, when timed. */
  startMs?: number;
}

/** How a session is run besides its pacing: the registration args served, and whether its start is timed. */
interface SessionSetup {
  answers?: Answers;
  vars?: Record<string, string>;
  timeStart?: boolean;
}

/** One hello session; never rejects. */
async function session(url: string, pacing: Pacing, { answers = [NAME], vars, timeStart }: SessionSetup = {}) {
  const started = performance.now();
  let startSent: number | undefined;
  let firstAction: number | undefined;
  // Only a timed session pays for reading the clock on every frame.
  const onFrame = timeStart
    ? ({ from, frame }: TranscriptEntry) => {
        if (from === 'relay' && frame._type === 'wf_api_start_event') startSent = performance.now();
        else if (from === 'workflow' && frame._type === 'wf_api_start_interaction_request')
          firstAction ??= performance.now();
      }
    : undefined;
  try {
    const run = await simulate(url, {
      answers,
      vars,
      onFrame,
      promptGapMs: pacing.gapMs,
      singleWrite: pacing.together,
      timeoutMs: pacing.timeoutMs,
    });
    const startMs = startSent !== undefined && firstAction !== undefined ? firstAction - startSent : undefined;
    return { ok: run.says.includes(GREETING), ms: performance.now() - started, startMs } satisfies Outcome;
  } catch {
    return { ok: false, ms: performance.now() - started };
  }
}

async function run(
  url: string,
  sessions: number,
  concurrency: number,
  pacing: Pacing,
  setup: SessionSetup = {},
): Promise<RunReply> {
  const durations: number[] = [];
  const startMs: number[] = [];
  let failed = 0;
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < sessions) {
      next += 1;
      const outcome = await session(url, pacing, setup);
      if (!outcome.ok) failed += 1;
      else {
        durations.push(outcome.ms);
        if (outcome.startMs !== undefined) startMs.push(outcome.startMs);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, sessions) }, worker));
  const reply: RunReply = { completed: durations.length, failed, wallMs: performance.now() - started, durations };
  return setup.timeStart === true ? { ...reply, startMs } : reply;
}

/** Sessions opened by `hold`: each one's answer (given on release) and its outcome. */
const held: Array<{ answer: (name: string) => void; outcome: Promise<Outcome> }> = [];

async function hold(url: string, count: number, pacing: Pacing): Promise<HoldReply> {
  let reached = 0;
  let failed = 0;
  let next = 0;
  const opener = async () => {
    while (next < count) {
      next += 1;
      let answer: (name: string) => void = () => undefined;
      const spoken = new Promise<string>((resolve) => (answer = resolve));
      let ended = false;
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((listening) => {
        timer = setTimeout(() => {
          ended = true;
          listening();
        }, REACH_LISTEN_MS);
        const outcome = session(url, pacing, {
          answers: () => {
            listening();
            return spoken;
          },
        });
        held.push({ answer: (name) => answer(name), outcome });
        // A session that ends before it listens has failed; stop waiting for it.
        void outcome.then(() => {
          ended = true;
          listening();
        });
      });
      clearTimeout(timer);
      if (ended) failed += 1;
      else reached += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(OPENING_AT_ONCE, count) }, opener));
  return { held: reached, failed };
}

async function release(): Promise<ReleaseReply> {
  const sessions = held.splice(0);
  for (const one of sessions) one.answer(NAME);
  const outcomes = await Promise.all(sessions.map((one) => one.outcome));
  const completed = outcomes.filter((outcome) => outcome.ok).length;
  return { completed, failed: outcomes.length - completed };
}

async function boot(url: string, retryMs: number, deadlineMs: number, pacing: Pacing): Promise<BootReply> {
  const deadline = performance.now() + deadlineMs;
  for (let attempts = 1; ; attempts += 1) {
    const outcome = await session(url, pacing);
    if (outcome.ok) return { ok: true, attempts };
    if (performance.now() > deadline) return { ok: false, attempts };
    await new Promise((resolve) => setTimeout(resolve, retryMs));
  }
}

function handle(command: LoadCommand): Promise<LoadReply> {
  switch (command.cmd) {
    case 'run':
      return run(command.url, command.sessions, command.concurrency, command, command);
    case 'hold':
      return hold(command.url, command.count, command);
    case 'release':
      return release();
    case 'boot':
      return boot(command.url, command.retryMs, command.deadlineMs, command);
    case 'transport-open':
      return openTransport(command.url, command.count, command.gapMs, command.timeoutMs);
    case 'transport-wait':
      return awaitTransport();
    case 'bus-latency':
      return busLatency(command.hookBase, command.secret, command.publishes);
    case 'transport-end':
      return endTransport();
  }
}

process.on('message', (message: Envelope<LoadCommand>) => {
  const { id, body } = message;
  if (body === undefined) return;
  handle(body).then(
    (reply) => process.send?.({ id, body: reply } satisfies Envelope<LoadReply>),
    (error: unknown) => process.send?.({ id, error: String(error) } satisfies Envelope<LoadReply>),
  );
});
