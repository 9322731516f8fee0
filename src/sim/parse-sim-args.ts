import { parseArgs } from 'node:util';
import { TRIGGER_TYPES, type SimTriggerType, type TriggerSpec } from './build-start-event';
import { parseGroups, parsePairs } from './parse-pairs';

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

export type ParsedSimArgs =
  { kind: 'help' } | { kind: 'run'; options: SimCliOptions } | { kind: 'error'; message: string };

export const SIM_USAGE = `Usage: npm run sim -- <workflow> [options]

Plays the Relay server and a device against a workflow served locally (npm run dev), so you can
try it before you push. What the device says and does is shown as it happens; when the workflow
listens, type what you say and press Enter. Piped stdin works too: one answer per line.

Options:
  --url <ws-url>          connect here instead of ws://localhost:<port>/<workflow>
  --port <n>              port of the local server (default: PORT from the environment or .env, else 8080)
  --trigger <type>        ${TRIGGER_TYPES.join(' | ')} (default phrase)
  --phrase <text>         the spoken phrase of a phrase trigger (default hello)
  --arg <key=value>       a registration arg, read by the workflow with getVar: what
                          relay workflow:create:<type> --arg (or --number, --boolean) sets (repeatable)
  --trigger-arg <key=value>
                          an arg carried by the trigger itself: an http trigger's args, an nfc
                          trigger's payload (repeatable)
  --device <name>         the simulated device's name (default Sim)
  --group <name=a,b,...>  a group and its member devices, for group queries and alerts (repeatable)
  --ack <a,b,...|none>    who acknowledges broadcasts and alerts, in order (default: every targeted device but this one)
  --ack-after <ms>        delay before each acknowledgement (default: the --gap); a cancel stops the rest
  --speedup <n>           make timers fire n times sooner (default 1)
  --gap <ms>              delay between a response and the events it causes (default 5)
  --transcript            print every raw frame as well
  -h, --help              show this help

While the workflow runs, type:
  /tap  /double  /triple  /long   press the device's action button (single, double, triple tap, long press)
  /help                           show these commands
  /quit                           hang up and exit
  anything else                   what you say the next time the workflow listens

Exit status: 0 when the workflow terminates; 1 when it cannot connect, the path is unknown (404),
or the workflow fails or closes the connection without terminating.

npm run sim -- cloud --help   plays Relay's cloud (HTTP API, HTTP triggers) instead; see docs/relay-api.md`;

/**
 * Parses the CLI's arguments (everything after `npm run sim --`). Never throws: a mistake comes
 * back as `{ kind: 'error', message }` naming the flag and what it takes.
 *
 * @example
 * parseSimArgs(['hello', '--arg', 'greeting=Hi'], 8080)
 * // { kind: 'run', options: { url: 'ws://localhost:8080/hello', vars: { greeting: 'Hi' }, ... } }
 */
export function parseSimArgs(argv: readonly string[], defaultPort: number): ParsedSimArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        port: { type: 'string' },
        trigger: { type: 'string', default: 'phrase' },
        phrase: { type: 'string' },
        arg: { type: 'string', multiple: true, default: [] },
        'trigger-arg': { type: 'string', multiple: true, default: [] },
        // Kept only to say what replaced it: --var was the registration arg before --arg became one.
        var: { type: 'string', multiple: true, default: [] },
        device: { type: 'string' },
        group: { type: 'string', multiple: true, default: [] },
        speedup: { type: 'string', default: '1' },
        ack: { type: 'string' },
        'ack-after': { type: 'string' },
        gap: { type: 'string' },
        transcript: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return { kind: 'error', message: (error as Error).message };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  const [workflow, ...extra] = positionals;
  if (extra.length > 0)
    return { kind: 'error', message: `unexpected argument ${JSON.stringify(extra[0])}: give one workflow name` };
  if (workflow === undefined && values.url === undefined)
    return { kind: 'error', message: 'name the workflow to run, e.g. npm run sim -- hello' };

  const port = values.port === undefined ? defaultPort : Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    return { kind: 'error', message: `--port must be a port number, got ${JSON.stringify(values.port)}` };
  const trigger = values.trigger as SimTriggerType;
  if (!TRIGGER_TYPES.includes(trigger))
    return {
      kind: 'error',
      message: `--trigger must be one of ${TRIGGER_TYPES.join(', ')}, got ${JSON.stringify(values.trigger)}`,
    };
  const speedup = Number(values.speedup);
  if (!(speedup > 0))
    return { kind: 'error', message: `--speedup must be a positive number, got ${JSON.stringify(values.speedup)}` };
  const gap = values.gap === undefined ? undefined : Number(values.gap);
  if (gap !== undefined && !(gap >= 0))
    return { kind: 'error', message: `--gap must be a number of milliseconds, got ${JSON.stringify(values.gap)}` };
  const ackAfter = values['ack-after'] === undefined ? undefined : Number(values['ack-after']);
  if (ackAfter !== undefined && !(ackAfter >= 0))
    return {
      kind: 'error',
      message: `--ack-after must be a number of milliseconds, got ${JSON.stringify(values['ack-after'])}`,
    };

  if (values.var.length > 0)
    return {
      kind: 'error',
      message:
        '--var is now --arg (a registration arg, as in relay workflow:create --arg); trigger args are --trigger-arg',
    };
  const vars = parsePairs('--arg', values.arg);
  const args = parsePairs('--trigger-arg', values['trigger-arg']);
  const groups = parseGroups(values.group);
  for (const result of [args, vars, groups]) if (typeof result === 'string') return { kind: 'error', message: result };
  if (Object.keys(args).length > 0 && trigger !== 'http' && trigger !== 'nfc') {
    return {
      kind: 'error',
      message: `--trigger-arg needs --trigger http or nfc (a ${trigger} trigger carries no args); a registration arg is --arg`,
    };
  }

  const triggerArgs = args as Record<string, string>;
  const url = values.url ?? `ws://localhost:${port}/${encodeURIComponent(workflow ?? '')}`;
  const options: SimCliOptions = {
    url,
    trigger: {
      type: trigger,
      ...(values.phrase === undefined ? {} : { phrase: values.phrase }),
      ...(trigger === 'http' ? { args: triggerArgs } : {}),
      ...(trigger === 'nfc' ? { nfcPayload: triggerArgs } : {}),
    },
    vars: vars as Record<string, string>,
    groups: groups as Record<string, string[]>,
    timerSpeedup: speedup,
    transcript: values.transcript,
  };
  if (values.device !== undefined) options.deviceName = values.device;
  if (gap !== undefined) options.promptGapMs = gap;
  if (values.ack !== undefined)
    options.acknowledgers = values.ack === 'none' ? 'none' : values.ack.split(',').filter(Boolean);
  if (ackAfter !== undefined) options.ackDelayMs = ackAfter;
  return { kind: 'run', options };
}
