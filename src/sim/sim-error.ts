/** Stable codes for the ways a simulation can fail; the CLI maps them to one-line messages. */
export const SimulatorErrorCode = {
  /** Nothing listens at the URL's host and port (or the host is unknown). */
  CONNECT_FAILED: 'sim-connect-failed',
  /** The server answered the upgrade with 404: it serves no workflow at that path. */
  NOT_FOUND: 'sim-workflow-not-found',
  /** The server refused the upgrade with another HTTP status. */
  UPGRADE_REFUSED: 'sim-upgrade-refused',
  /** The workflow did not terminate within the time `simulate` allows. */
  TIMEOUT: 'sim-timeout',
  /** A simulator method was used in a state where the Relay server could not do it. */
  INVALID_STATE: 'sim-invalid-state',
} as const;

export type SimulatorErrorCode = (typeof SimulatorErrorCode)[keyof typeof SimulatorErrorCode];

/** A failure of the simulator (not of the workflow). The message says what to check. */
export class SimulatorError extends Error {
  constructor(
    readonly code: SimulatorErrorCode,
    message: string,
    /** The HTTP status of a refused upgrade. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SimulatorError';
  }
}
