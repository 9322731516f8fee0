/** What the transport sample sends the dispatch system. */
export interface DispatchRequest {
  request_id: string;
  room: string;
  /** The wearer's device URN. */
  device: string;
}

export interface PostOptions {
  /** Per attempt (default 5 s). */
  timeoutMs?: number;
  /** Attempts in all, the first included (default 3). */
  attempts?: number;
  /** Pause before the second attempt; doubled for each later one (default 250 ms). */
  retryDelayMs?: number;
}

/** How a POST ended: `reason` is fit for a log line (a status or error code, never the URL or body). */
export type PostOutcome = { ok: true; attempts: number } | { ok: false; attempts: number; reason: string };

/**
 * POSTs `request` as JSON to `url`, retrying on network errors, timeouts, 429 and 5xx; a 2xx is
 * success, another 4xx fails at once (retrying would not change it). Never throws.
 */
export async function postDispatchRequest(
  url: string,
  request: DispatchRequest,
  options: PostOptions = {},
): Promise<PostOutcome> {
  const { timeoutMs = 5_000, attempts = 3, retryDelayMs = 250 } = options;
  let reason = 'not attempted';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 2 ** (attempt - 2)));
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      // The body is not needed; reading it to the end frees the connection.
      await response.body?.cancel();
      if (response.ok) return { ok: true, attempts: attempt };
      reason = `HTTP ${response.status}`;
      if (response.status < 500 && response.status !== 429) return { ok: false, attempts: attempt, reason };
    } catch (error) {
      reason = describeFailure(error, timeoutMs);
    }
  }
  return { ok: false, attempts, reason };
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return typeof cause?.code === 'string' ? cause.code.slice(0, 40) : 'network error';
}
