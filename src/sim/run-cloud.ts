import type { Writable } from 'node:stream';
import type { CloudCliOptions } from './parse-cloud-args';
import { RelayCloud } from './relay-cloud';

export interface RunCloudOptions {
  options: CloudCliOptions;
  output: Writable;
  /** Aborting (Ctrl-C) closes the cloud and every session. */
  signal: AbortSignal;
}

/**
 * `npm run sim -- cloud`: starts the simulated cloud, prints the variables that point the app at
 * it, then shows each request and what each session's device does until `signal` aborts.
 * Resolves with the process exit status.
 */
export async function runCloud({ options, output, signal }: RunCloudOptions): Promise<number> {
  const print = (line: string) => output.write(`${line}\n`);
  const cloud = await RelayCloud.start({
    port: options.port,
    host: options.host,
    apiKey: options.apiKey,
    subscriberId: options.subscriberId,
    simulator: { answers: options.answers, groups: options.groups },
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
  await new Promise<void>((resolve) =>
    signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true }),
  );
  await cloud.close();
  await watching;
  print('Relay cloud simulator stopped');
  return 0;
}
