import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { publicBaseUrl } from './public-base-url';
import { renderStatusPage } from './render-status-page';
import { buildStatusReport, type HttpStatus } from './status-report';

/** The page has no scripts and loads nothing: inline styles only. */
const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  Vary: 'Accept',
};

/**
 * The runtime's own routes: `GET /` is the status page (HTML, or JSON for `Accept:
 * application/json`), `GET /health` answers JSON for uptime checks (503 while draining; 200
 * with `bus.state` other than `ready` while Redis is unreachable, since sessions go on). Both
 * answer from memory only: `/` is what wakes a sleeping dyno, so it must be quick. Fastify answers
 * `HEAD` for both.
 */
export function addStatusRoutes(app: FastifyInstance, status: () => HttpStatus): void {
  app.get('/', (request, reply) => {
    const report = buildStatusReport(status(), publicBaseUrl(request.raw));
    if (wantsJson(request)) return sendText(reply.header('Vary', 'Accept'), 'application/json', JSON.stringify(report));
    return sendText(reply.headers(PAGE_HEADERS), 'text/html; charset=utf-8', renderStatusPage(report));
  });
  app.get('/health', (_request, reply) => {
    const current = status();
    // Still 200 while Redis is down: sessions go on, only webhooks that publish fail (503); `bus` says so.
    const body = {
      status: current.draining ? 'draining' : 'ok',
      uptime: current.uptimeSeconds,
      sessions: current.sessions,
      bus: current.bus,
    };
    return sendText(reply.code(current.draining ? 503 : 200), 'application/json', JSON.stringify(body));
  });
}

/**
 * A body as is, with exactly this type, never cached (the answers change with every session). A
 * Buffer, because Fastify appends `; charset=utf-8` to a JSON type sent as a string.
 */
export function sendText(reply: FastifyReply, type: string, body: string): FastifyReply {
  return reply.headers({ 'Cache-Control': 'no-store', 'Content-Type': type }).send(Buffer.from(body));
}

/** JSON when the client asks for it before (or instead of) HTML; browsers send text/html first. */
function wantsJson(request: FastifyRequest): boolean {
  const accept = (request.headers.accept ?? '').toLowerCase();
  const json = accept.indexOf('application/json');
  const html = accept.indexOf('text/html');
  return json !== -1 && (html === -1 || json < html);
}
