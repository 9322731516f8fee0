import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../logger';

/**
 * The HTTP server's `clientError` answer: 431 for oversized headers, 408 for headers that did not
 * arrive in time, 400 for anything unparseable; then the connection is closed. The error carries
 * the raw request (and maybe a token), so only its code is logged.
 */
export function answerClientError(log: Logger) {
  return function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    log.debug({ code: err.code }, 'bad HTTP request');
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    if (socket.writable) socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  };
}
