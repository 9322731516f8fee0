/**
 * A JWT-shaped refresh token with these claims and a made-up signature: what a token from another
 * issuer looks like to the client, which reads the payload and never verifies it.
 */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.${Buffer.from('not-a-signature').toString('base64url')}`;
}
