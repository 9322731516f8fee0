import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A dispatch system stand-in: records each POSTed JSON body and answers with `status`. */
export interface DispatchServer {
  url: string;
  /** The bodies received so far, parsed. */
  received: Array<Record<string, unknown>>;
  /** Resolves with the next body (or the first one already received and not yet taken). */
  nextRequest(): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Listens on a free port of 127.0.0.1; answers every POST with the next of `statuses` (the last repeats). */
export async function startDispatchServer(statuses: number[] = [202]): Promise<DispatchServer> {
  const received: Array<Record<string, unknown>> = [];
  const waiting: Array<(body: Record<string, unknown>) => void> = [];
  let taken = 0;
  let answered = 0;
  const server: Server = createServer((request, response) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (text += chunk));
    request.on('end', () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      received.push(body);
      waiting.shift()?.(body);
      response.statusCode = statuses[Math.min(answered++, statuses.length - 1)] ?? 202;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/requests`,
    received,
    nextRequest: () => {
      const index = taken++;
      const body = received[index];
      if (body !== undefined) return Promise.resolve(body);
      return new Promise((resolve) => waiting.push(resolve));
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
