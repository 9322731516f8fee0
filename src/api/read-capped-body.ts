/** Thrown when an answer's body is larger than the cap; the caller turns it into an error. */
export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the answer is larger than ${maxBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * Reads a fetch Response's body as UTF-8 text, stopping (and cancelling the stream) as soon as it
 * passes `maxBytes`: a misbehaving or hostile server cannot make the process buffer more.
 */
export async function readCappedBody(response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return '';
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    await response.body.cancel();
    throw new BodyTooLargeError(maxBytes);
  }
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new BodyTooLargeError(maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
