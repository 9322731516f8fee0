import { secretsMatch } from '../util';

/** Whether the request URL carries `token=<expected>` in its query string, compared in constant time. */
export function tokenMatches(url: string, expected: string): boolean {
  const query = url.indexOf('?');
  const given = query === -1 ? null : new URLSearchParams(url.slice(query + 1)).get('token');
  if (given === null) return false;
  return secretsMatch(given, expected);
}
