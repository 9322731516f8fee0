/**
 * The load process's side of the bus bench: transport conversations held open on one server
 * (dyno B) while the load process posts updates to the other's webhook (dyno A) and times how
 * long each takes to be spoken, i.e. until B's say request frame reaches this Relay-side client.
 * Both ends of each figure are timed here, in one process, so no clocks are compared.
 */
import { performance } from 'node:perf_hooks';
import type { RelaySimulator } from '../../src/sim/relay-simulator';
import { simulate } from '../../src/sim/simulate';
import type { BusLatencyReply, TransportReply } from './load-protocol';

/** How many conversations may be on their way to the next step at once. */
const AT_ONCE = 100;
/** A conversation that does not reach the next step (listen, then the request id) this soon counts as failed. */
const STEP_MS = 10_000;
/** An update not spoken this long after it was posted counts as failed. */
const SPOKEN_MS = 5_000;

interface Conversation {
  /** Answers "Which room?": the workflow then subscribes and says the request id. */
  answerRoom: () => void;
  /** Resolves once the workflow listens for the room. */
  listening: Promise<boolean>;
  /** Resolves with the request id once the workflow waits for dispatch (subscribed), or undefined. */
  waiting: Promise<string | undefined>;
  /** Double-taps, which ends the conversation. */
  end: () => void;
  /** Resolves with whether the conversation ended as it should. */
  outcome: Promise<boolean>;
  sim?: RelaySimulator;
  requestId?: string;
}

const conversations: Conversation[] = [];

function within<T>(promise: Promise<T>, ms: number, late: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(late), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function open(url: string, gapMs: number, timeoutMs: number): Conversation {
  let answerRoom: () => void = () => undefined;
  let end: () => void = () => undefined;
  let listening: (yes: boolean) => void = () => undefined;
  const room = new Promise<string>((resolve) => (answerRoom = () => resolve('4')));
  const ended = new Promise<void>((resolve) => (end = resolve));
  const conversation: Conversation = {
    answerRoom: () => answerRoom(),
    end: () => end(),
    listening: new Promise((resolve) => (listening = resolve)),
    waiting: Promise.resolve(undefined),
    outcome: Promise.resolve(false),
  };
  let waiting: (id: string | undefined) => void = () => undefined;
  conversation.waiting = new Promise((resolve) => (waiting = resolve));
  conversation.outcome = simulate(url, {
    answers: () => {
      listening(true);
      return room;
    },
    promptGapMs: gapMs,
    timeoutMs,
    script: async (sim) => {
      conversation.sim = sim;
      const said = await sim.waitFor(
        (frame) => frame._type === 'wf_api_say_request' && String(frame.text).includes('request number is'),
      );
      conversation.requestId = /request number is ([0-9a-f ]+)\.$/.exec(String(said.text))?.[1]?.replaceAll(' ', '');
      waiting(conversation.requestId);
      await ended;
      sim.pressButton('double');
    },
  }).then(
    (run) => run.terminated && run.says.at(-1) === 'Transport request cancelled.',
    () => false,
  );
  void conversation.outcome.then(() => {
    listening(false);
    waiting(undefined);
  });
  return conversation;
}

/** Runs `step` on every item, `AT_ONCE` at a time; counts how many resolved truthy. */
async function inBatches<T>(items: readonly T[], step: (item: T) => Promise<unknown>): Promise<number> {
  let next = 0;
  let ok = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      if (await step(item)) ok += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, items.length) }, worker));
  return ok;
}

/** Opens `count` transport conversations and replies once each listens for its room. */
export async function openTransport(
  url: string,
  count: number,
  gapMs: number,
  timeoutMs: number,
): Promise<TransportReply> {
  const opened = Array.from({ length: count }, () => null);
  const ok = await inBatches(opened, async () => {
    const conversation = open(url, gapMs, timeoutMs);
    conversations.push(conversation);
    return within(conversation.listening, STEP_MS, false);
  });
  return { ok, failed: count - ok };
}

/** Answers every room, and replies once each conversation has said its request id (it is subscribed). */
export async function awaitTransport(): Promise<TransportReply> {
  const ok = await inBatches(conversations, async (conversation) => {
    conversation.answerRoom();
    return (await within(conversation.waiting, STEP_MS, undefined)) !== undefined;
  });
  return { ok, failed: conversations.length - ok };
}

/**
 * Posts `publishes` "assigned" updates to `hookBase` one after the other, each to the next waiting
 * conversation in turn, and times from just before the POST to its say frame (and to the 202).
 */
export async function busLatency(hookBase: string, secret: string, publishes: number): Promise<BusLatencyReply> {
  const waiting = conversations.filter(
    (conversation) => conversation.sim !== undefined && conversation.requestId !== undefined,
  );
  const spokenMs: number[] = [];
  const answeredMs: number[] = [];
  let failed = 0;
  for (let i = 0; i < publishes && waiting.length > 0; i++) {
    const { sim, requestId } = waiting[i % waiting.length] as Required<Pick<Conversation, 'sim' | 'requestId'>>;
    const line = `Transport assigned: Unit ${i}.`;
    const spoken = sim
      .waitFor((frame) => frame._type === 'wf_api_say_request' && frame.text === line)
      .then(
        () => performance.now(),
        () => undefined,
      );
    const started = performance.now();
    const answer = await fetch(`${hookBase}/hooks/transport/${requestId}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'assigned', by: `Unit ${i}` }),
    }).catch(() => undefined);
    const answered = performance.now();
    await answer?.arrayBuffer();
    const at = await within(spoken, SPOKEN_MS, undefined);
    if (answer?.status !== 202 || at === undefined) {
      failed += 1;
      continue;
    }
    spokenMs.push(at - started);
    answeredMs.push(answered - started);
  }
  return { spokenMs, answeredMs, failed };
}

/** Double-taps every conversation and replies once all have ended. */
export async function endTransport(): Promise<TransportReply> {
  const ending = conversations.splice(0);
  for (const conversation of ending) conversation.end();
  const outcomes = await Promise.all(ending.map((conversation) => conversation.outcome));
  const ok = outcomes.filter(Boolean).length;
  return { ok, failed: ending.length - ok };
}
