/**
 * `npm run wake -- <app url> [--timeout <seconds>]`: wakes a sleeping eco dyno by polling
 * `/health`, and prints how long it took. Exit codes: 0 awake, 1 gave up, 2 usage error.
 * `main` runs only when this file is the entry.
 */
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

/** Why waking failed; `code` is stable for scripts, `message` says what to do. */
export class WakeError extends Error {
  constructor(
    readonly code: 'ERR_WAKE_URL' | 'ERR_WAKE_FAILED' | 'ERR_WAKE_TIMEOUT',
    message: string,
  ) {
    super(message);
    this.name = 'WakeError';
  }
}

export interface WakeOptions {
  /** The app's URL (`https://my-app-1a2b3c4d5e6f.herokuapp.com`) or bare host name. */
  url: string;
  /** Give up after this long in total. Heroku's router holds a request to a booting dyno for up to 75 s. */
  timeoutMs?: number;
  /** Pause between attempts that failed fast (connection refused, an error status). */
  intervalMs?: number;
  /** Told about every failed attempt, so a person sees progress. */
  onRetry?: (attempt: number, reason: string) => void;
  /** Monotonic milliseconds; injectable for tests. */
  now?: () => number;
}

export interface Awake {
  healthUrl: string;
  elapsedMs: number;
  attempts: number;
  /** The `/health` answer: `{ status, uptime, sessions }`. */
  health: Record<string, unknown>;
}

/** `https://host` from what a person typed: a bare host gets https, a path or query is dropped. */
export function appOrigin(input: string): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `https://${input}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WakeError(
      'ERR_WAKE_URL',
      `"${input}" is not a URL: pass the app's URL, such as https://my-app-1a2b3c4d5e6f.herokuapp.com (see heroku apps:info)`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new WakeError(
      'ERR_WAKE_URL',
      `"${input}" must be an http:// or https:// URL (the app's web URL, not its wss:// workflow URL)`,
    );
  }
  return url.origin;
}

/**
 * Polls `<app>/health` until it answers 200 and says how long that took. One request is what
 * wakes a sleeping eco dyno; the router holds it while the dyno boots, so each attempt may wait
 * most of the remaining time. Bounded by `timeoutMs` (90 s by default) in total.
 *
 * @example
 * const { elapsedMs } = await wakeDyno({ url: 'https://my-app-1a2b3c4d5e6f.herokuapp.com' })
 */
export async function wakeDyno({
  url,
  timeoutMs = 90_000,
  intervalMs = 1_000,
  onRetry = () => undefined,
  now = performance.now.bind(performance),
}: WakeOptions): Promise<Awake> {
  const healthUrl = `${appOrigin(url)}/health`;
  const started = now();
  for (let attempt = 1; ; attempt++) {
    const left = timeoutMs - (now() - started);
    const result = await tryOnce(healthUrl, Math.max(1, Math.ceil(left)));
    if (result.health !== undefined)
      return { healthUrl, elapsedMs: now() - started, attempts: attempt, health: result.health };
    if (!result.retry) {
      throw new WakeError('ERR_WAKE_FAILED', `${healthUrl} cannot answer: ${result.reason}. ${hint(result.reason)}`);
    }
    if (timeoutMs - (now() - started) <= intervalMs) {
      throw new WakeError(
        'ERR_WAKE_TIMEOUT',
        `${healthUrl} did not answer within ${Math.round(timeoutMs / 1000)} s (${attempt} attempts); last: ${result.reason}. ${hint(result.reason)}`,
      );
    }
    onRetry(attempt, result.reason);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Errors a dyno that is asleep, booting or restarting gives; anything else will not change by waiting. */
const TRANSIENT = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

type Attempt =
  | { health: Record<string, unknown>; retry?: undefined; reason?: undefined }
  | { health?: undefined; retry: boolean; reason: string };

async function tryOnce(healthUrl: string, timeoutMs: number): Promise<Attempt> {
  try {
    const response = await fetch(healthUrl, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    });
    const body = await response.text();
    // 503 while a dyno boots or drains (H10/H14 also give 503: the hint covers them); 502/504 from proxies.
    if (response.status !== 200)
      return { retry: [502, 503, 504].includes(response.status), reason: `HTTP ${response.status}` };
    try {
      return { health: JSON.parse(body) as Record<string, unknown> };
    } catch {
      return { retry: false, reason: 'HTTP 200 but not JSON' };
    }
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return { retry: true, reason: 'no answer in time' };
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const code = cause?.code;
    if (code !== undefined) return { retry: TRANSIENT.has(code), reason: `connection failed (${code})` };
    return { retry: false, reason: cause?.message ?? (err as Error).message };
  }
}

function hint(reason: string): string {
  if (reason.includes('ENOTFOUND')) return 'Check the host name: heroku apps:info shows the web URL.';
  if (reason.includes('SSL') || reason.includes('TLS'))
    return 'Is the server plain http? Then write http:// in front of the host.';
  if (/HTTP (404|200)/.test(reason)) return 'Is this the app URL? heroku apps:info shows it.';
  if (reason === 'HTTP 503')
    return 'Look at heroku logs --tail: H10 means the app crashed, H14 that no web dyno runs (heroku ps:scale web=1).';
  return 'Look at heroku ps and heroku logs --tail.';
}

if (require.main === module) void main().then((code) => (process.exitCode = code));
