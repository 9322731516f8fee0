import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { ButtonPress } from './device';
import { RelaySimulator, type SimulationResult } from './relay-simulator';
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
  idleHintMs = 10_000,
}: TerminalDeviceOptions): Promise<number> {
  const print = (line: string) => output.write(`${line}\n`);
  const fail = (line: string) => errorOutput.write(`sim: ${line}\n`);
  const lines = createInterface({ input, terminal: false });
  const queue: string[] = [];
  let inputEnded = false;
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
    while (queue.length > 0 && sim !== undefined) {
      const line = queue[0] as string;
      if (line === '/quit') return hangUp('you hung up before the workflow terminated');
      if (line === '/help' || (line.startsWith('/') && BUTTONS[line] === undefined)) {
        queue.shift();
        print(line === '/help' ? COMMANDS_HELP : `unknown command ${line}; ${COMMANDS_HELP}`);
        continue;
      }
      const taps = BUTTONS[line];
      if (taps !== undefined) {
        if (sim.interaction === undefined) return; // pressed before the workflow opened an interaction: wait for it
        queue.shift();
        sim.pressButton(taps);
        continue;
      }
      if (answer === undefined) return; // said before the workflow listens: keep it for the next listen
      queue.shift();
      if (!interactive) print(`you say: ${line}`);
      answer(line);
      answer = undefined;
    }
    if (answer !== undefined && inputEnded)
      hangUp('the workflow is listening but the input has ended (give one answer per line)');
  };

  lines.on('line', (line) => {
    const trimmed = line.trim();
    if (trimmed === '') return;
    queue.push(trimmed);
    if (interactive && answer === undefined && BUTTONS[trimmed] === undefined && !trimmed.startsWith('/')) {
      print('(the device is not listening; that is your answer the next time it listens)');
    } else if (interactive && BUTTONS[trimmed] !== undefined && sim?.interaction === undefined) {
      print('(no interaction is open yet; the press happens once the workflow starts one)');
    }
    pump();
  });
  lines.once('close', () => {
    inputEnded = true;
    pump();
  });
  signal?.addEventListener('abort', () => hangUp('you hung up before the workflow terminated'), { once: true });

  const device = options.deviceName ?? 'Sim';
  try {
    sim = await RelaySimulator.connect(options.url, {
      trigger: options.trigger,
      vars: options.vars,
      groups: options.groups,
      timerSpeedup: options.timerSpeedup,
      ...(options.promptGapMs === undefined ? {} : { promptGapMs: options.promptGapMs }),
      ...(options.acknowledgers === undefined ? {} : { acknowledgers: options.acknowledgers }),
      ...(options.ackDelayMs === undefined ? {} : { ackDelayMs: options.ackDelayMs }),
      ...(options.deviceName === undefined ? {} : { device: { name: options.deviceName } }),
      answers: () =>
        new Promise<string | undefined>((resolve) => {
          answer = resolve;
          if (interactive) print(`[${device}] 🎤 listening: type what you say and press Enter`);
          pump();
        }),
      onLog: (line) => {
        if (line !== 'listens' || !interactive) print(`[${device}] ${line}`);
        setImmediate(pump);
      },
      onFrame: ({ from, elapsedMs, frame }) => {
        stillWaiting();
        if (options.transcript)
          print(
            `  ${from === 'relay' ? 'relay → workflow' : 'workflow → relay'} +${elapsedMs}ms ${JSON.stringify(frame)}`,
          );
      },
    });
  } catch (error) {
    lines.close();
    fail(error instanceof SimulatorError ? error.message : String(error));
    return 1;
  }
  print(
    `connected to ${options.url} as device "${device}" (${options.trigger.type} trigger); ${interactive ? COMMANDS_HELP : 'reading answers from stdin'}`,
  );
  pump();
  const end = await sim.finished;
  clearTimeout(idle);
  // The session is over: a listen it left waiting is no longer the input's to answer.
  answer = undefined;
  lines.close();
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
