/** A failure the simulated cloud answers with instead of doing its work. */
export interface FailureSpec {
  /** The HTTP status to answer (401, 429, 502, 503, 504, or any other error status). */
  status: number;
  /** How many matching requests get it. Default 1; `Infinity` for every one. */
  times?: number;
  /** Sent as `Retry-After: <seconds>`. */
  retryAfterSecs?: number;
  /**
   * Which requests: those whose path starts with this (`/oauth2/token`, `/ibot/workflow`...).
   * Default: every API request (`/ibot/...` and `/relaypro/...`), not the token service.
   */
  path?: string;
  /** The `message` of the JSON body. Default: the status's reason phrase. */
  message?: string;
}

/** Which requests a delay applies to; see {@link FailureSpec} for `path` and `times`. */
export interface DelaySpec {
  times?: number;
  path?: string;
}

interface Rule<T> {
  path: string | undefined;
  left: number;
  value: T;
}

/** Pending failures and delays, each used up by the requests it matches, first added first. */
export class CloudFaults {
  private readonly failures: Array<Rule<FailureSpec>> = [];
  private readonly delays: Array<Rule<number>> = [];

  addFailure(spec: FailureSpec): void {
    this.failures.push({ path: spec.path, left: spec.times ?? 1, value: spec });
  }

  addDelay(ms: number, spec: DelaySpec = {}): void {
    this.delays.push({ path: spec.path, left: spec.times ?? 1, value: ms });
  }

  /** The failure for this request, if one matches (and counts it as used). */
  takeFailure(path: string): FailureSpec | undefined {
    return take(this.failures, path);
  }

  /** The delay for this request in ms, 0 if none matches. */
  takeDelay(path: string): number {
    return take(this.delays, path) ?? 0;
  }

  clear(): void {
    this.failures.length = 0;
    this.delays.length = 0;
  }
}

function take<T>(rules: Array<Rule<T>>, path: string): T | undefined {
  const index = rules.findIndex((rule) =>
    rule.path === undefined ? !path.startsWith('/oauth2/') : path.startsWith(rule.path),
  );
  const rule = rules[index];
  if (rule === undefined) return undefined;
  rule.left -= 1;
  if (rule.left <= 0) rules.splice(index, 1);
  return rule.value;
}
