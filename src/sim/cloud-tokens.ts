import { randomBytes } from 'node:crypto';
import { secretsMatch } from '../util';

/** What the token endpoint answers: a status and its JSON body. */
export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * The simulated token service: checks refresh-token grants, issues access tokens that expire
 * after `lifetimeSecs`, and tells valid bearer tokens from others. Answers use OAuth 2.0's error
 * names (RFC 6749 §5.2) and never repeat the refresh token.
 */
export class CloudTokens {
  /** Access token → when it expires (ms since the epoch). */
  private readonly issued = new Map<string, number>();

  constructor(
    private readonly expected: { apiKey: string; clientId: string },
    private readonly lifetimeSecs: number,
  ) {}

  /** Answers a form-encoded `POST /oauth2/token` body. */
  grant(form: URLSearchParams): TokenAnswer {
    if (form.get('grant_type') !== 'refresh_token')
      return refusal(400, 'unsupported_grant_type', 'grant_type must be refresh_token');
    if (form.get('client_id') !== this.expected.clientId)
      return refusal(401, 'invalid_client', 'unknown client_id: check RELAY_ENV');
    if (!secretsMatch(form.get('refresh_token') ?? '', this.expected.apiKey))
      return refusal(400, 'invalid_grant', 'the refresh token is invalid or revoked');
    const now = Date.now();
    for (const [token, expiresAt] of this.issued) if (expiresAt <= now) this.issued.delete(token);
    const accessToken = `sim-access-${randomBytes(24).toString('base64url')}`;
    this.issued.set(accessToken, now + this.lifetimeSecs * 1000);
    return { status: 200, body: { access_token: accessToken, expires_in: this.lifetimeSecs, token_type: 'Bearer' } };
  }

  /** True for a token this service issued that has neither expired nor been revoked. */
  isValid(token: string | undefined): boolean {
    const expiresAt = token === undefined ? undefined : this.issued.get(token);
    return expiresAt !== undefined && Date.now() < expiresAt;
  }

  /** Revokes every token issued so far. */
  revokeAll(): void {
    this.issued.clear();
  }
}

function refusal(status: number, error: string, description: string): TokenAnswer {
  return { status, body: { error, error_description: description } };
}
