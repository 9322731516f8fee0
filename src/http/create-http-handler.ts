import type { IncomingMessage, ServerResponse } from 'node:http';
import { pathOf } from '../relay/workflow-path';
import { publicBaseUrl } from './public-base-url';
import { renderStatusPage } from './render-status-page';
import { buildStatusReport, type HttpStatus } from './status-report';

export type { HttpStatus };

/** The page has no scripts and loads nothing: inline styles only. */
const PAGE_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  Vary: 'Accept',
};

/**
 * The plain-HTTP side: `GET /` is the status page (HTML, or JSON for `Accept: application/json`),
 * `GET /health` answers JSON for uptime checks. Everything else is 404 (or 405 for other methods).
 * Both answer from memory only: `/` is what wakes a sleeping dyno, so it must be quick.
 */
export function createHttpHandler(status: () => HttpStatus) {
  return function handleHttp(request: IncomingMessage, response: ServerResponse): void {
    const path = pathOf(request.url ?? '/');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(response, 405, 'application/json', JSON.stringify({ error: 'only GET and HEAD are served' }), { Allow: 'GET, HEAD' });
      return;
    }
    const current = status();
    if (current.draining) response.setHeader('Connection', 'close');
    if (path === '/health') {
      const body = {
        status: current.draining ? 'draining' : 'ok',
        uptime: current.uptimeSeconds,
        sessions: current.sessions,
      };
      send(response, current.draining ? 503 : 200, 'application/json', JSON.stringify(body));
      return;
    }
    if (path === '/') {
      const report = buildStatusReport(current, publicBaseUrl(request));
      if (wantsJson(request)) send(response, 200, 'application/json', JSON.stringify(report), { Vary: 'Accept' });
      else send(response, 200, 'text/html; charset=utf-8', renderStatusPage(report), PAGE_HEADERS);
      return;
    }
    const workflows = current.workflows.map(({ name }) => `/${name}`);
    send(response, 404, 'application/json', JSON.stringify({ error: 'not found', workflows }));
  };
}

/** JSON when the client asks for it before (or instead of) HTML; browsers send text/html first. */
function wantsJson(request: IncomingMessage): boolean {
  const accept = (request.headers.accept ?? '').toLowerCase();
  const json = accept.indexOf('application/json');
  const html = accept.indexOf('text/html');
  return json !== -1 && (html === -1 || json < html);
}

function send(response: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...headers });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
