import { createServer, type Server } from 'node:http';
import type { Logger } from '../logger';
import { answerClientError } from './answer-client-error';

/**
 * The node HTTP server a standalone workflow server listens on, with Heroku's timeouts and the
 * `clientError` answers; request and upgrade listeners are the caller's to add.
 */
export function createNodeServer(headersTimeoutMs: number, log: Logger): Server {
  const server = createServer({
    // Heroku's router keeps idle connections to the dyno for 90 s; closing ours first causes H18/H13.
    keepAliveTimeout: 95_000,
    // A request (an upgrade included) whose headers do not arrive in time is dropped with 408:
    // a handshake that never completes costs a socket for that long at most.
    headersTimeout: headersTimeoutMs,
    requestTimeout: headersTimeoutMs + 5_000,
    connectionsCheckingInterval: Math.min(1_000, headersTimeoutMs / 2),
  });
  server.on('clientError', answerClientError(log));
  return server;
}
