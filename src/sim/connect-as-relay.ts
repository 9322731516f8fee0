import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { SimulatorError, SimulatorErrorCode } from './sim-error';

/** How long the WebSocket handshake may take before the connection counts as failed. */
const HANDSHAKE_MS = 5_000;
/** Network errors that mean "nothing is listening there". */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNRESET',
  'ETIMEDOUT',
]);

/**
 * Opens a WebSocket to a workflow URL the way the Relay server does (a plain client, no
 * compression). Rejects with a {@link SimulatorError} whose message says what went wrong:
 * nothing listening, no workflow at that path (404, with the server's own explanation), or
 * another refusal.
 */
export function connectAsRelay(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: HANDSHAKE_MS });
    } catch (error) {
      reject(
        new SimulatorError(SimulatorErrorCode.CONNECT_FAILED, `cannot connect to ${url}: ${(error as Error).message}`),
      );
      return;
    }
    const fail = (error: SimulatorError) => {
      socket.removeAllListeners('open');
      reject(error);
    };
    socket.once('open', () => {
      socket.removeAllListeners('unexpected-response');
      resolve(socket);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const where = hostOf(url);
      const why =
        err.code !== undefined && UNREACHABLE.has(err.code)
          ? `nothing is listening at ${where} (${err.code}); is the server running?`
          : err.message;
      fail(new SimulatorError(SimulatorErrorCode.CONNECT_FAILED, `cannot connect to ${url}: ${why}`));
    });
    socket.once('unexpected-response', (request, response: IncomingMessage) => {
      readBody(response, (body) => {
        request.destroy();
        const status = response.statusCode ?? 0;
        const detail = body === '' ? '' : `: ${body}`;
        if (status === 404) {
          fail(
            new SimulatorError(
              SimulatorErrorCode.NOT_FOUND,
              `no workflow at ${urlPathname(url)} (HTTP 404)${detail}`,
              status,
            ),
          );
        } else {
          fail(
            new SimulatorError(
              SimulatorErrorCode.UPGRADE_REFUSED,
              `the server refused ${url} with HTTP ${status}${detail}`,
              status,
            ),
          );
        }
      });
    });
  });
}

/** The first line of a refusal's body, kept short: servers explain refusals there. */
function readBody(response: IncomingMessage, done: (body: string) => void): void {
  let body = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    if (body.length < 1_000) body += chunk;
  });
  const finish = () => done((body.split('\n')[0] ?? '').trim().slice(0, 300));
  response.once('end', finish);
  response.once('error', finish);
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** The path of an absolute `ws://` URL (workflow-registry.ts's `pathOf` cuts a request's raw URL instead). */
function urlPathname(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
