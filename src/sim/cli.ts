/**
 * `npm run sim -- <workflow> [options]`: an interactive Relay device in the terminal, played
 * against a workflow served locally. The only module that reads process.argv and stdin.
 */
import { ConfigError, loadConfig } from '../config';
import { CLOUD_USAGE, parseCloudArgs } from './parse-cloud-args';
import { parseSimArgs, SIM_USAGE } from './parse-sim-args';
import { runCloud } from './run-cloud';
import { runTerminalDevice } from './run-terminal-device';

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
  return runCloud({ options: parsed.options, output: process.stdout, signal: stop.signal });
}

main().then(
  (status) => process.exit(status),
  (error: unknown) => {
    process.stderr.write(`sim: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
