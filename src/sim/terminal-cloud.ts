import type { Readable, Writable } from 'node:stream';
import { hideToken } from '../registrations';
import { DEFAULT_DEVICE } from './device';
import { RelayCloud } from './relay-cloud';
import { converse, TypedLines } from './terminal-device';

/** What `npm run sim -- cloud ...` asks for, parsed and checked. */
export interface CloudCliOptions {
  port: number;
  host: string;
  /** Workflow id → its ws(s):// URL, as `relay workflow:create:http` would register it. */
  workflows: Map<string, string>;
  apiKey?: string;
  subscriberId?: string;
  /** What the device says each time a workflow started by an HTTP trigger listens, in order (each session starts over). */
  answers: string[];
  /** The account's groups by name, each a list of device names (for group queries and broadcasts). */
  groups: Record<string, string[]>;
}

export interface RunCloudOptions {
  options: CloudCliOptions;
  /** The person's lines: a phrase to say at the prompt, then what they say in the session it starts. */
  input: Readable;
  output: Writable;
  /** Where a phrase that starts nothing, and a session's failure, are told. */
  errorOutput: Writable;
  /** Whether `input` is a terminal: then the person is prompted, else their piped lines are echoed. */
  interactive: boolean;
  /** Aborting (Ctrl-C) closes the cloud and every session. */
  signal: AbortSignal;
}

const PROMPT = 'type a phrase and press Enter to say it on the device (/quit stops the cloud)';

/**
 * `npm run sim -- cloud`: starts the simulated cloud, prints the variables that point the app at
 * it, then shows each request and what each session's device does until `signal` aborts or the
 * person types `/quit` at the prompt. Each other line at the prompt is said on the simulated
 * device ({@link RelayCloud.speak}); the session it starts takes the lines that follow, as in
 * `npm run sim`, until it ends. When the input ends the cloud keeps serving until `signal`
 * aborts. Resolves with the process exit status.
 */
export async function runCloud({
  options,
  input,
  output,
  errorOutput,
  interactive,
  signal,
}: RunCloudOptions): Promise<number> {
  const print = (line: string) => output.write(`${line}\n`);
  const device = DEFAULT_DEVICE;
  const cloud = await RelayCloud.start({
    port: options.port,
    host: options.host,
    apiKey: options.apiKey,
    subscriberId: options.subscriberId,
    devices: [device],
    simulator: {
      answers: options.answers,
      groups: options.groups,
      onLog: (line) => print(`[${device.name}] ${line}`),
    },
    onLog: (line) => print(`[cloud] ${line}`),
  });
  for (const [workflowId, url] of options.workflows) {
    cloud.register(workflowId, url, {
      simulator: {
        answers: options.answers,
        groups: options.groups,
        onLog: (line) => print(`[${workflowId}] ${line}`),
      },
    });
  }
  print(`Relay cloud simulator listening on ${cloud.url}`);
  for (const [workflowId, url] of options.workflows) print(`Registered ${workflowId} -> ${url}`);
  print('Point the app at it (then restart it):');
  for (const [name, value] of Object.entries(cloud.env)) print(`  export ${name}=${value}`);
  print(
    "That RELAY_API_KEY is a legacy (opaque) refresh token. For one of Relay's current sign-in, as relay token:generate",
  );
  print('prints (a JWT naming this cloud as its issuer, redeemed at RELAY_AUTH_URL/realms/Relay/...), use instead:');
  print(`  export RELAY_API_KEY=${cloud.oidcRefreshToken}`);
  print(
    `The account has one device, ${device.name} (id ${device.id}). npm run register with these variables, PUBLIC_URL=https://localhost:<app port>`,
  );
  print(`and RELAY_INSTALL=all (or ${device.id}) registers the app's workflows here; then ${PROMPT}.`);

  const watching = (async () => {
    for (;;) {
      const next = await cloud.nextSession(2 ** 31 - 1).catch(() => undefined);
      if (next === undefined) return;
      void next.finished.then((run) =>
        print(
          `[${next.workflowId}] session on ${next.deviceId} ended: ${run.terminated ? 'terminated' : `closed (${run.code})`}`,
        ),
      );
    }
  })();

  const lines = new TypedLines(input);
  let quit = false;
  for (;;) {
    if (interactive) print(`[${device.name}] ${PROMPT}`);
    const phrase = await lines.next(signal);
    if (phrase === undefined) break;
    if (phrase === '/quit') {
      quit = true;
      break;
    }
    if (phrase.startsWith('/')) {
      print(`no session is open, so ${phrase} does nothing: ${PROMPT}`);
      continue;
    }
    if (!interactive) print(`you say: ${phrase}`);
    await converse({
      connect: async (played) => {
        const session = await cloud.speak(device.id, phrase, { simulator: played });
        return {
          simulator: session.simulator,
          connected: `${session.workflowId} at ${hideToken(session.url)} (phrase "${session.phrase ?? ''}")`,
        };
      },
      lines,
      deviceName: device.name,
      transcript: false,
      output,
      errorOutput,
      interactive,
      signal,
    });
  }
  lines.close();
  if (!quit && !signal.aborted) {
    print('(the input has ended: no more phrases; the cloud keeps serving until Ctrl-C)');
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }
  await cloud.close();
  await watching;
  print('Relay cloud simulator stopped');
  return 0;
}
