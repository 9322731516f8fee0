/**
 * `promise`, or a rejection with `timeoutError()` after `ms`, whichever comes first. The promise
 * goes on; a failure of it after the timeout is dropped rather than left unhandled.
 *
 * @example
 * await withTimeout(client.close(), 2_000, () => new Error('Redis did not answer within 2000 ms'))
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, timeoutError: () => Error): Promise<T> {
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
