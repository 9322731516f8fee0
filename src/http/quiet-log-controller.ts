import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { pathOf } from '../relay/workflow-registry';

/**
 * Fastify's per-request log lines, made quiet: nothing when a request arrives, and one `debug`
 * line when it is answered with the method, the path without its query string (which may hold a
 * token), the status and the time taken. Heroku's router already logs every request at info; no
 * header or body reaches a line.
 */
export class QuietLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      path: pathOf(request.url).slice(0, 200),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    };
    // An error here is the socket's (the client went away), not the route's: the error handler logged those.
    if (error)
      reply.log.debug({ ...line, code: (error as NodeJS.ErrnoException).code }, 'request ended with a socket error');
    else reply.log.debug(line, 'request answered');
  }
}
