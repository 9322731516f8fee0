/**
 * `host:port` of a Redis URL, for log lines and error messages: the URL itself holds the
 * password (Heroku's REDIS_URL is `rediss://:<password>@host:port`) and is never shown.
 */
export function redisTarget(url: string): string {
  const parsed = URL.parse(url);
  if (parsed === null) return '(unparsable Redis URL, not shown)';
  return `${parsed.hostname}:${parsed.port === '' ? '6379' : parsed.port}`;
}
