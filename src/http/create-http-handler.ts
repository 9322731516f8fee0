import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppInfo } from '../app-info';
import { renderHomePage } from './render-home-page';

export interface HttpStatus {
  app: AppInfo;
  workflows: string[];
  sessions: number;
  uptimeSeconds: number;
  draining: boolean;
}

/**
 * The plain-HTTP side: `GET /` names the app and lists its workflows, `GET /health` answers JSON
 * for uptime checks. Everything else is 404 (or 405 for other methods).
 */
export function createHttpHandler(status: () => HttpStatus) {
  return function handleHttp(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '/').split('?')[0];
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
      send(response, 200, 'text/html; charset=utf-8', renderHomePage(current));
      return;
    }
    send(response, 404, 'application/json', JSON.stringify({ error: 'not found', workflows: current.workflows.map((n) => `/${n}`) }));
  };
}

function send(response: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...headers });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
