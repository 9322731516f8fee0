import type { IncomingMessage } from 'node:http';

/** A `Host` header we are willing to show: a DNS name or IPv4 address, or a bracketed IPv6 one, and an optional port. */
const SAFE_HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * The WebSocket origin Relay should use for this server, as the person reading the page reached
 * it: `wss://` when Heroku's router says the request came over TLS (`X-Forwarded-Proto: https`),
 * `ws://` otherwise, and the request's `Host`. The `Host` header is the client's to choose, so
 * anything but a plain host[:port] is replaced by `localhost:<the port this request came in on>`.
 *
 * @example
 * publicBaseUrl(request) // 'wss://demo-1234.herokuapp.com' behind Heroku, 'ws://localhost:8080' locally
 */
export function publicBaseUrl(request: IncomingMessage): string {
  const forwarded = headerValue(request.headers['x-forwarded-proto'])?.split(',')[0]?.trim().toLowerCase();
  const scheme = forwarded === 'https' ? 'wss' : 'ws';
  const host = headerValue(request.headers.host)?.trim() ?? '';
  const shown = SAFE_HOST.test(host) ? host.toLowerCase() : `localhost:${request.socket.localPort ?? 80}`;
  return `${scheme}://${shown}`;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
