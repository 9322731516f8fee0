/** An access token with the user id Relay's validate endpoint gave for it. */
export interface AccessToken {
  readonly accessToken: string;
  readonly userId: string;
  /** When to stop using it (ms since the epoch): the token's lifetime minus a safety margin. */
  readonly expiresAt: number;
}

const RECENT_TOKENS = 4;

/**
 * Caches one access token until it expires and makes sure at most one token request runs at a
 * time: concurrent callers, and callers that hit a 401 together, share the same request.
 */
export class AccessTokens {
  private current: AccessToken | undefined;
  private pending: Promise<AccessToken> | undefined;
  /** The latest few tokens, the current one included: an answer may echo one already replaced. */
  private readonly recent: string[] = [];

  constructor(
    private readonly request: () => Promise<AccessToken>,
    private readonly now: () => number,
  ) {}

  /** The cached token while it is fresh; otherwise the (shared) result of a new request. */
  get(): Promise<AccessToken> {
    const current = this.current;
    if (current !== undefined && this.now() < current.expiresAt) return Promise.resolve(current);
    this.pending ??= this.request()
      .then((token) => {
        this.current = token;
        this.recent.unshift(token.accessToken);
        this.recent.length = Math.min(this.recent.length, RECENT_TOKENS);
        return token;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  /**
   * Drops `token` after Relay refused it. A token that is no longer the cached one (another
   * caller already replaced it) is left alone, so N refused calls cause one new request, not N.
   */
  invalidate(token: AccessToken): void {
    if (this.current === token) this.current = undefined;
  }

  /** The latest tokens' values, for scrubbing them from anything Relay echoes back. */
  get secrets(): readonly string[] {
    return this.recent;
  }
}
