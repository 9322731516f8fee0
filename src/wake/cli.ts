/**
 * `npm run wake -- <app url> [--timeout <seconds>]`: wakes a sleeping eco dyno by polling
 * `/health`, and prints how long it took. Exit codes: 0 awake, 1 gave up, 2 usage error.
 */
import { appOrigin, WakeError, wakeDyno } from './wake-dyno';

const USAGE =
  'usage: npm run wake -- <app url> [--timeout <seconds>]   e.g. npm run wake -- https://my-app-1a2b3c4d5e6f.herokuapp.com';

function parseArgs(argv: string[]): { url: string; timeoutMs: number } {
  const rest = [...argv];
  let timeoutMs = 90_000;
  const at = rest.indexOf('--timeout');
  if (at !== -1) {
    const seconds = Number(rest[at + 1]);
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600)
      throw new WakeError(
        'ERR_WAKE_URL',
        `--timeout takes seconds from 1 to 600, got ${JSON.stringify(rest[at + 1] ?? '')}`,
      );
    timeoutMs = seconds * 1000;
    rest.splice(at, 2);
  }
  if (rest.length !== 1 || rest[0]!.startsWith('-')) throw new WakeError('ERR_WAKE_URL', USAGE);
  return { url: appOrigin(rest[0]!), timeoutMs };
}

async function main(): Promise<number> {
  let args: { url: string; timeoutMs: number };
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`wake: ${(err as Error).message}\n`);
    return 2;
  }
  process.stdout.write(`waking ${args.url} (polling /health for up to ${args.timeoutMs / 1000} s)\n`);
  try {
    const awake = await wakeDyno({
      ...args,
      onRetry: (attempt, reason) => process.stdout.write(`attempt ${attempt}: ${reason}; trying again\n`),
    });
    const { status, uptime, sessions } = awake.health;
    process.stdout.write(
      `awake after ${(awake.elapsedMs / 1000).toFixed(1)} s (${awake.attempts} attempt${awake.attempts === 1 ? '' : 's'}): ` +
        `status ${String(status)}, up ${String(uptime)} s, ${String(sessions)} open sessions\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`wake: ${(err as Error).message}\n`);
    return 1;
  }
}

void main().then((code) => (process.exitCode = code));
