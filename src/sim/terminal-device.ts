import { EventEmitter } from 'node:events';
import { createInterface, type Interface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ButtonPress } from './device';
import { RelaySimulator, type RelaySimulatorOptions, type SimulationResult } from './relay-simulator';
import { SimulatorError, type TriggerSpec } from './wire';

/** What `npm run sim -- ...` asks for, parsed and checked. */
export interface SimCliOptions {
  /** The URL to connect to: `--url`, or `ws://localhost:<port>/<workflow>`. */
  url: string;
  trigger: TriggerSpec;
  vars: Record<string, string>;
  groups: Record<string, string[]>;
  deviceName?: string;
  timerSpeedup: number;
  promptGapMs?: number;
  /** Who acknowledges broadcasts and alerts: `none`, or device names (default: every targeted device). */
  acknowledgers?: 'none' | string[];
  /** Milliseconds before each acknowledgement. */
  ackDelayMs?: number;
  /** Print every raw frame too. */
  transcript: boolean;
}

export interface TerminalDeviceOptions {
  options: SimCliOptions;
  /** Lines typed (or piped) by the person: answers and `/commands`. */
  input: Readable;
  /** Where the device's doings go. */
  output: Writable;
  /** Where the one-line failure message goes. */
  errorOutput: Writable;
  /** Whether `input` is a terminal: then the person is prompted, else their piped lines are echoed. */
  interactive: boolean;
  /** Aborting hangs up (Ctrl-C). */
  signal?: AbortSignal;
  /**
   * After this long without a frame while the device is not listening, a hint points at the
   * server's log: a workflow handler that throws is logged there but does not end the session.
   */
  idleHintMs?: number;
}

/** The close code a restarting server ends its sessions with (RFC 6455's "service restart"). */
const SERVICE_RESTART = 1012;

const BUTTONS: Record<string, ButtonPress['taps']> = {
  '/tap': 'single',
  '/double': 'double',
  '/triple': 'triple',
  '/long': 'long',
};
const COMMANDS_HELP =
  'commands: /tap /double /triple /long (press the button), /help, /quit; any other line is what you say';

/**
 * The person's lines, typed or piped, in order: trimmed, blank ones dropped. A conversation takes
 * only the lines it uses, so lines typed ahead stay queued for whoever reads next (the cloud's
 * phrase prompt, once a session has ended). `line` is emitted for each new line, then `change`;
 * `change` also when the input ends.
 */
export class TypedLines extends EventEmitter<{ line: [string]; change: [] }> {
  private readonly queue: string[] = [];
  private inputEnded = false;
  private readonly reader: Interface;

  constructor(input: Readable) {
    super();
    this.reader = createInterface({ input, terminal: false });
    this.reader.on('line', (line) => {
      const trimmed = line.trim();
      if (trimmed === '') return;
      this.queue.push(trimmed);
      this.emit('line', trimmed);
      this.emit('change');
    });
    this.reader.once('close', () => {
      this.inputEnded = true;
      this.emit('change');
    });
  }

  /** The oldest line not taken yet. */
  peek(): string | undefined {
    return this.queue[0];
  }

  /** Takes the oldest line. */
  take(): string | undefined {
    return this.queue.shift();
  }

  /** The input has ended and every line has been taken. */
  get exhausted(): boolean {
    return this.inputEnded && this.queue.length === 0;
  }

  /** Takes the next line, waiting for one; undefined once the input is exhausted or `signal` aborts. */
  next(signal?: AbortSignal): Promise<string | undefined> {
    return new Promise((resolve) => {
      const settle = () => {
        if (signal?.aborted !== true && this.queue.length === 0 && !this.inputEnded) return;
        this.off('change', settle);
        signal?.removeEventListener('abort', settle);
        resolve(signal?.aborted === true ? undefined : this.take());
      };
      this.on('change', settle);
      signal?.addEventListener('abort', settle, { once: true });
      settle();
    });
  }

  /** Stops reading the input. */
  close(): void {
    this.reader.close();
  }
}

/** The simulator options a conversation plays the device with: the person's answers, and what it shows. */
export type TerminalSimulatorOptions = Required<Pick<RelaySimulatorOptions, 'answers' | 'onLog' | 'onFrame'>>;

export interface ConversationOptions {
  /**
   * Opens the session, playing the device with `device`; resolves with the simulator and what it
   * connected to (shown as `connected to <it>`). A rejection is shown as one failure line.
   */
  connect: (device: TerminalSimulatorOptions) => Promise<{ simulator: RelaySimulator; connected: string }>;
  /** The person's lines; the conversation takes those it uses. */
  lines: TypedLines;
  /** The device's name, as its log lines show it. */
  deviceName: string;
  /** Print every raw frame too. */
  transcript: boolean;
  output: Writable;
  errorOutput: Writable;
  interactive: boolean;
  signal?: AbortSignal;
  idleHintMs?: number;
}

/**
 * The interactive device of `npm run sim`: connects to a workflow as the Relay server, shows what
 * the device says and does, and feeds the person's lines in order: a text line answers the next
 * `listen`, a `/command` presses the button once an interaction is open. Resolves with the
 * process exit status (0 when the workflow terminated); writes one clear line on failure.
 *
 * @example
 * const status = await runTerminalDevice({ options, input: process.stdin, output: process.stdout, errorOutput: process.stderr, interactive: true })
 */
export async function runTerminalDevice({
  options,
  input,
  output,
  errorOutput,
  interactive,
  signal,
  idleHintMs,
}: TerminalDeviceOptions): Promise<number> {
  const lines = new TypedLines(input);
  const deviceName = options.deviceName ?? 'Sim';
  try {
    return await converse({
      connect: async (device) => ({
        simulator: await RelaySimulator.connect(options.url, {
          trigger: options.trigger,
          vars: options.vars,
          groups: options.groups,
          timerSpeedup: options.timerSpeedup,
          ...(options.promptGapMs === undefined ? {} : { promptGapMs: options.promptGapMs }),
          ...(options.acknowledgers === undefined ? {} : { acknowledgers: options.acknowledgers }),
          ...(options.ackDelayMs === undefined ? {} : { ackDelayMs: options.ackDelayMs }),
          ...(options.deviceName === undefined ? {} : { device: { name: options.deviceName } }),
          ...device,
        }),
        connected: `${options.url} as device "${deviceName}" (${options.trigger.type} trigger)`,
      }),
      lines,
      deviceName,
      transcript: options.transcript,
      output,
      errorOutput,
      interactive,
      signal,
      idleHintMs,
    });
  } finally {
    lines.close();
  }
}

/**
 * One conversation between the person and a workflow: opens the session with `connect`, then
 * feeds the person's lines to it in order, taking from `lines` only those it uses (`/quit`, which
 * hangs up, included). Resolves with 0 when the workflow terminated, else 1 after one failure
 * line (could not connect, hung up, input ended while listening, closed without terminating).
 */
export async function converse({
  connect,
  lines,
  deviceName: device,
  transcript,
  output,
  errorOutput,
  interactive,
  signal,
  idleHintMs = 10_000,
}: ConversationOptions): Promise<number> {
  const print = (line: string) => output.write(`${line}\n`);
  const fail = (line: string) => errorOutput.write(`sim: ${line}\n`);
  let answer: ((text: string | undefined) => void) | undefined;
  let sim: RelaySimulator | undefined;
  let failure: string | undefined;
  let idle: NodeJS.Timeout | undefined;
  const stillWaiting = () => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      if (answer === undefined)
        print(
          `(nothing from the workflow for ${Math.round(idleHintMs / 1000)} s: if it failed, the server's log says why; /quit hangs up)`,
        );
    }, idleHintMs);
  };

  const hangUp = (why: string) => {
    failure ??= why;
    answer?.(undefined);
    answer = undefined;
    void sim?.close();
  };

  /** Works through the queued lines in order, stopping at one that cannot be used yet. */
  const pump = () => {
    while (failure === undefined && sim !== undefined) {
      const line = lines.peek();
      if (line === undefined) break;
      if (line === '/quit') {
        lines.take();
        return hangUp('you hung up before the workflow terminated');
      }
      if (line === '/help' || (line.startsWith('/') && BUTTONS[line] === undefined)) {
        lines.take();
        print(line === '/help' ? COMMANDS_HELP : `unknown command ${line}; ${COMMANDS_HELP}`);
        continue;
      }
      const taps = BUTTONS[line];
      if (taps !== undefined) {
        if (sim.interaction === undefined) return; // pressed before the workflow opened an interaction: wait for it
        lines.take();
        sim.pressButton(taps);
        continue;
      }
      if (answer === undefined) return; // said before the workflow listens: keep it for the next listen
      lines.take();
      if (!interactive) print(`you say: ${line}`);
      answer(line);
      answer = undefined;
    }
    if (answer !== undefined && lines.exhausted)
      hangUp('the workflow is listening but the input has ended (give one answer per line)');
  };

  const hint = (line: string) => {
    if (interactive && answer === undefined && BUTTONS[line] === undefined && !line.startsWith('/')) {
      print('(the device is not listening; that is your answer the next time it listens)');
    } else if (interactive && BUTTONS[line] !== undefined && sim?.interaction === undefined) {
      print('(no interaction is open yet; the press happens once the workflow starts one)');
    }
  };
  const abort = () => hangUp('you hung up before the workflow terminated');
  lines.on('line', hint);
  lines.on('change', pump);
  signal?.addEventListener('abort', abort, { once: true });
  try {
    let connected: string;
    try {
      ({ simulator: sim, connected } = await connect({
        answers: () =>
          new Promise<string | undefined>((resolve) => {
            answer = resolve;
            if (interactive) print(`[${device}] 🎤 listening: type what you say and press Enter`);
            pump();
          }),
        onLog: (line) => {
          if (line !== 'listens' || !interactive) print(`[${device}] ${line}${spelledOutNote(line)}`);
          setImmediate(pump);
        },
        onFrame: ({ from, elapsedMs, frame }) => {
          stillWaiting();
          if (transcript)
            print(
              `  ${from === 'relay' ? 'relay → workflow' : 'workflow → relay'} +${elapsedMs}ms ${JSON.stringify(frame)}`,
            );
        },
      }));
    } catch (error) {
      fail(error instanceof SimulatorError ? error.message : String(error));
      return 1;
    }
    if (signal?.aborted === true) abort();
    print(`connected to ${connected}; ${interactive ? COMMANDS_HELP : 'reading answers from stdin'}`);
    pump();
    const end = await sim.finished;
    // The session is over: a listen it left waiting is no longer the input's to answer.
    answer = undefined;
    if (failure !== undefined) {
      fail(failure);
      return 1;
    }
    // 1012 (service restart): the server restarted, as `npm run dev` does on every save. The session
    // is gone with it; a new run starts a new one on the new code.
    if (end.code === SERVICE_RESTART) {
      fail('the server restarted (npm run dev restarts it on every change); run the simulator again for a new session');
      return 1;
    }
    const silence = explainSilentEnd(sim.result());
    if (silence !== undefined) print(`(${silence})`);
    if (end.terminated) return 0;
    const reason = end.reason === '' ? '' : `: ${end.reason}`;
    fail(`the workflow closed the connection without terminating (code ${end.code}${reason})`);
    return 1;
  } finally {
    clearTimeout(idle);
    lines.off('line', hint);
    lines.off('change', pump);
    signal?.removeEventListener('abort', abort);
  }
}

/**
 * The runs of four or more single letters or digits separated by spaces in `text`, joined up: what
 * a workflow spells out so that text-to-speech reads it character by character ("d 6 0 e c c",
 * a request number) is shown compact beside it, since the compact form is what a person copies.
 *
 * @example
 * spelledOut('Your request number is d 6 0 e c c.') // ['d60ecc']
 */
export function spelledOut(text: string): string[] {
  return [...text.matchAll(/(?<![A-Za-z0-9])[A-Za-z0-9](?: [A-Za-z0-9]){3,}(?![A-Za-z0-9])/g)].map(([run]) =>
    run.replaceAll(' ', ''),
  );
}

/** ` (spelled out: d60ecc)` after a `says:` line that spells something out, else nothing. */
function spelledOutNote(line: string): string {
  if (!line.startsWith('says: ')) return '';
  const runs = spelledOut(line);
  return runs.length === 0 ? '' : ` (spelled out: ${runs.join(', ')})`;
}

const MAX_NAMES = 8;
const MAX_NAME_CHARS = 60;

/**
 * Why a workflow may have ended without saying or playing anything, from what the simulator saw:
 * the registration args it read but was not given, and the requests the simulated Relay server
 * refused. Undefined when the workflow said something. Names come from the workflow's frames, so
 * each is truncated, and only the first few are listed.
 *
 * @example
 * explainSilentEnd(run)
 * // 'the workflow ended without saying anything; it read registration args it was not given: group, message (...)'
 */
export function explainSilentEnd(result: Pick<SimulationResult, 'says' | 'plays' | 'transcript'>): string | undefined {
  if (result.says.length > 0 || result.plays.length > 0) return undefined;
  const requests = new Map<unknown, string>();
  const unsetVars: string[] = [];
  const refusals: string[] = [];
  for (const { from, frame } of result.transcript) {
    if (from === 'workflow') {
      requests.set(
        frame._id,
        frame._type === 'wf_api_get_var_request'
          ? `get_var:${clip(frame.name)}`
          : clip(frame._type).replace(/^wf_api_|_request$/g, ''),
      );
      continue;
    }
    const request = requests.get(frame._id);
    if (request === undefined) continue;
    if (frame._type === 'wf_api_error_response')
      refusals.push(`${request.replace(/^get_var:.*/, 'get_var')} (${clip(frame.error)})`);
    else if (request.startsWith('get_var:') && !Object.hasOwn(frame, 'value'))
      unsetVars.push(request.slice('get_var:'.length));
  }
  const reasons: string[] = [];
  if (unsetVars.length > 0) {
    reasons.push(
      `it read registration args it was not given: ${list(unsetVars)} (give them with --arg name=value; an http trigger's own args are --trigger http --trigger-arg name=value)`,
    );
  }
  if (refusals.length > 0) reasons.push(`the simulated Relay server refused: ${list(refusals)}`);
  if (reasons.length === 0) reasons.push("the server's log says why (the workflow's own warnings are logged there)");
  return `the workflow ended without saying anything; ${reasons.join('; ')}`;
}

function clip(value: unknown): string {
  const text = String(value);
  return text.length > MAX_NAME_CHARS ? `${text.slice(0, MAX_NAME_CHARS)}…` : text;
}

function list(items: string[]): string {
  const unique = [...new Set(items)];
  const more = unique.length > MAX_NAMES ? ` and ${unique.length - MAX_NAMES} more` : '';
  return unique.slice(0, MAX_NAMES).join(', ') + more;
}
