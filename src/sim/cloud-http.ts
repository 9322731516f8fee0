import type { IncomingMessage, ServerResponse } from 'node:http';

/** Sends a JSON answer (with an optional Retry-After), unless the client has gone. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/** The request body as text, or `undefined` once it passed `maxBytes` (the caller answers 413). */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    request.once('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.once('error', reject);
  });
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerOf(request: IncomingMessage): string | undefined {
  const match = /^Bearer ([\x21-\x7e]{1,8192})$/.exec(request.headers.authorization ?? '');
  return match?.[1];
}
