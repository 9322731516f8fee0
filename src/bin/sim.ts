/**
 * `npm run sim -- <workflow> [options]`: an interactive Relay device in the terminal, played
 * against a workflow served locally; `npm run sim -- cloud ...`: the simulated Relay cloud.
 * The argument parsers are pure (tests import them); only `main` touches process.argv, stdin and
 * the exit status, and it runs only when this file is the entry.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config';
import { runCloud, type CloudCliOptions } from '../sim/terminal-cloud';
import { runTerminalDevice, type SimCliOptions } from '../sim/terminal-device';
import { TRIGGER_TYPES, type SimTriggerType } from '../sim/wire';

async function main(): Promise<number> {
  if (process.argv[2] === 'cloud') return cloud(process.argv.slice(3));
  let port: number;
  try {
    port = loadConfig().port;
  } catch (error) {
    process.stderr.write(`sim: ${error instanceof ConfigError ? error.message : String(error)}\n`);
    return 1;
  }
  const parsed = parseSimArgs(process.argv.slice(2), port);
  if (parsed.kind === 'help') {
    process.stdout.write(`${SIM_USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`sim: ${parsed.message} (see npm run sim -- --help)\n`);
    return 1;
  }
  const hangUp = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => hangUp.abort());
  return runTerminalDevice({
    options: parsed.options,
    input: process.stdin,
    output: process.stdout,
    errorOutput: process.stderr,
    interactive: process.stdin.isTTY === true,
    signal: hangUp.signal,
  });
}

/** `npm run sim -- cloud ...`: the simulated Relay cloud (HTTP API), until Ctrl-C. */
async function cloud(argv: string[]): Promise<number> {
  const parsed = parseCloudArgs(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(`${CLOUD_USAGE}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`sim cloud: ${parsed.message} (see npm run sim -- cloud --help)\n`);
    return 1;
  }
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
  return runCloud({
    options: parsed.options,
    input: process.stdin,
    output: process.stdout,
    errorOutput: process.stderr,
    interactive: process.stdin.isTTY === true,
    signal: stop.signal,
  });
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
or the workflow fails or closes the connection without terminating; when the server restarts
(npm run dev does on every change) it says so and exits 1: run it again.

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

export type ParsedCloudArgs =
  { kind: 'help' } | { kind: 'run'; options: CloudCliOptions } | { kind: 'error'; message: string };

export const CLOUD_USAGE = `Usage: npm run sim -- cloud [options]

Plays Relay's cloud on a local port: its sign-in (current and legacy), the workflow registrations
(GET/POST /ibot/workflow, DELETE /ibot/workflow/<id>), HTTP triggers (POST /ibot/workflow/<id>) and
device records. Point your app's RelayApi and npm run register at it with the variables it prints.
A trigger opens a session to the workflow's URL, played by a simulated device whose doings are shown.

Type a registered phrase and press Enter to say it on the simulated device: the registration it
matches starts, and you converse with it as in npm run sim (docs/registration.md, "Try it on your
laptop"). Back at the prompt, /quit stops the cloud.

Options:
  --register <id>=<ws-url>  a workflow with an HTTP trigger, e.g. wf_broadcast=ws://localhost:8080/broadcast (repeatable;
                            npm run register adds the app's own registrations)
  --port <n>                port to listen on (default 0: a free one; give one to keep the URL across runs)
  --host <ip>               interface (default 127.0.0.1)
  --api-key <token>         the legacy refresh token it accepts (default: a random one, printed; the OpenID
                            Connect one it prints beside it changes on every run)
  --subscriber-id <id>      the account id (default sim-subscriber)
  --answer <text>           what the device says when a workflow started by an HTTP trigger listens (repeatable, in order)
  --group <name=a,b,...>    a group and its member devices, for group queries and broadcasts (repeatable),
                            e.g. --group "Security=Bob,Carol" for the broadcast sample
  -h, --help                show this help

Stop it with Ctrl-C.`;

/** Parses the arguments after `npm run sim -- cloud`. Never throws. */
export function parseCloudArgs(argv: readonly string[]): ParsedCloudArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        register: { type: 'string', multiple: true, default: [] },
        port: { type: 'string', default: '0' },
        host: { type: 'string', default: '127.0.0.1' },
        'api-key': { type: 'string' },
        'subscriber-id': { type: 'string' },
        answer: { type: 'string', multiple: true, default: [] },
        group: { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    return { kind: 'error', message: (error as Error).message };
  }
  const { values } = parsed;
  if (values.help) return { kind: 'help' };
  const port = /^\d{1,5}$/.test(values.port) ? Number(values.port) : NaN;
  if (!(port >= 0 && port <= 65_535))
    return {
      kind: 'error',
      message: `--port must be a port number (0 for a free one), got ${JSON.stringify(values.port)}`,
    };
  const workflows = new Map<string, string>();
  for (const entry of values.register) {
    const at = entry.indexOf('=');
    const url = entry.slice(at + 1);
    if (at < 1 || !/^wss?:\/\/./.test(url))
      return {
        kind: 'error',
        message: `--register takes <workflow id>=<ws:// or wss:// URL>, got ${JSON.stringify(entry)}`,
      };
    workflows.set(entry.slice(0, at), url);
  }
  const groups = parseGroups(values.group);
  if (typeof groups === 'string') return { kind: 'error', message: groups };
  const options: CloudCliOptions = { port, host: values.host, workflows, answers: values.answer, groups };
  if (values['api-key'] !== undefined) options.apiKey = values['api-key'];
  if (values['subscriber-id'] !== undefined) options.subscriberId = values['subscriber-id'];
  return { kind: 'run', options };
}

/** `['a=1', 'b=x=y']` → `{ a: '1', b: 'x=y' }`, or a message naming the bad entry. */
function parsePairs(flag: string, entries: readonly string[]): Record<string, string> | string {
  // Null prototype: a key such as __proto__ is stored like any other.
  const result = Object.create(null) as Record<string, string>;
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at < 1) return `${flag} takes key=value, got ${JSON.stringify(entry)}`;
    result[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return result;
}

/** `--group` values: `['Floor 2=Bob,Cy']` → `{ 'Floor 2': ['Bob', 'Cy'] }`, or a message naming the bad entry. */
function parseGroups(entries: readonly string[]): Record<string, string[]> | string {
  const pairs = parsePairs('--group', entries);
  if (typeof pairs === 'string') return pairs;
  const groups = Object.create(null) as Record<string, string[]>;
  for (const [name, members] of Object.entries(pairs)) groups[name] = members.split(',').filter(Boolean);
  return groups;
}

if (require.main === module) {
  main().then(
    (status) => process.exit(status),
    (error: unknown) => {
      process.stderr.write(`sim: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
