import { parseArgs } from 'node:util';
import { parseGroups } from './parse-pairs';

/** What `npm run sim -- cloud ...` asks for, parsed and checked. */
export interface CloudCliOptions {
  port: number;
  host: string;
  /** Workflow id → its ws(s):// URL, as `relay workflow:create:http` would register it. */
  workflows: Map<string, string>;
  apiKey?: string;
  subscriberId?: string;
  /** What the device says each time a workflow listens, in order (each session starts over). */
  answers: string[];
  /** The account's groups by name, each a list of device names (for group queries and broadcasts). */
  groups: Record<string, string[]>;
}

export type ParsedCloudArgs =
  { kind: 'help' } | { kind: 'run'; options: CloudCliOptions } | { kind: 'error'; message: string };

export const CLOUD_USAGE = `Usage: npm run sim -- cloud --register <workflow id>=<ws-url> [options]

Plays Relay's cloud on a local port: its token service, HTTP triggers (POST /ibot/workflow/<id>)
and device records. Point your app's RelayApi at it with the variables it prints; a trigger of a
registered workflow opens a session to its URL, played by a simulated device whose doings are shown.

Options:
  --register <id>=<ws-url>  a workflow with an HTTP trigger, e.g. wf_broadcast=ws://localhost:8080/broadcast (repeatable)
  --port <n>                port to listen on (default 0: a free one; give one to keep the URL across runs)
  --host <ip>               interface (default 127.0.0.1)
  --api-key <token>         the refresh token it accepts (default: a random one, printed)
  --subscriber-id <id>      the account id (default sim-subscriber)
  --answer <text>           what the device says when a workflow listens (repeatable, in order)
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
  if (workflows.size === 0)
    return {
      kind: 'error',
      message: 'register at least one workflow: --register wf_broadcast=ws://localhost:8080/broadcast',
    };
  const groups = parseGroups(values.group);
  if (typeof groups === 'string') return { kind: 'error', message: groups };
  const options: CloudCliOptions = { port, host: values.host, workflows, answers: values.answer, groups };
  if (values['api-key'] !== undefined) options.apiKey = values['api-key'];
  if (values['subscriber-id'] !== undefined) options.subscriberId = values['subscriber-id'];
  return { kind: 'run', options };
}
