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
