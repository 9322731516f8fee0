import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether the request URL carries `token=<expected>` in its query string. Compares digests in
 * constant time, so the time taken says nothing about how much of a guess was right.
 */
export function tokenMatches(url: string, expected: string): boolean {
  const query = url.indexOf('?');
  const given = query === -1 ? null : new URLSearchParams(url.slice(query + 1)).get('token');
  if (given === null) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
