/** How a promise ended, as a value to assert on (`{value}` or `{error}`). */
export type Settled<T> = { value: T } | { error: Error & { code?: string } };

export async function settle<T>(run: () => Promise<T>): Promise<Settled<T>> {
  try {
    return { value: await run() };
  } catch (error) {
    return { error: error as Error };
  }
}

/** A promise with its resolve function, for a workflow to hand a result to the test. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}
