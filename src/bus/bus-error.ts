/** Stable codes for the ways the session bus refuses or fails. */
export const BusErrorCode = {
  /** Redis is not reachable now (connecting, reconnecting or down): a route should answer 503. */
  UNAVAILABLE: 'ERR_BUS_UNAVAILABLE',
  /** The message's JSON is over the bus's byte limit. */
  TOO_LARGE: 'ERR_BUS_MESSAGE_TOO_LARGE',
  /** The message cannot be written as JSON (undefined, a function, a BigInt, a cycle). */
  NOT_JSON: 'ERR_BUS_MESSAGE_NOT_JSON',
  /** The topic is empty, too long, or has characters outside the allowed set. */
  BAD_TOPIC: 'ERR_BUS_BAD_TOPIC',
  /** The bus was closed; nothing more can be published on it. */
  CLOSED: 'ERR_BUS_CLOSED',
} as const;

export type BusErrorCode = (typeof BusErrorCode)[keyof typeof BusErrorCode];

/**
 * A publish or subscribe the bus refused. `code` is stable; `message` says what to change.
 *
 * @example
 * try {
 *   await bus.publish(`transport:${id}`, update)
 * } catch (err) {
 *   if (err instanceof BusError && err.code === BusErrorCode.UNAVAILABLE) reply.code(503)
 *   else throw err
 * }
 */
export class BusError extends Error {
  constructor(
    readonly code: BusErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BusError';
  }
}

/** True for the error a publish gets while Redis cannot be reached (answer 503 and let the caller retry). */
export function isBusUnavailable(error: unknown): boolean {
  return error instanceof BusError && error.code === BusErrorCode.UNAVAILABLE;
}
