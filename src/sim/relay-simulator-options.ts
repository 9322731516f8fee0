import type { Frame } from '../relay/frame';
import type { Trigger } from './build-start-event';
import type { SimulatedDevice } from './simulated-device';
import type { TranscriptEntry } from './simulation-records';

/** What the simulator knows about a `listen` request when it asks for an answer. */
export interface ListenRequest {
  /** Phrases the workflow hinted at (may be empty). */
  phrases: string[];
  transcribe: boolean;
  lang: string;
  /** The interaction URN the workflow listens on. */
  interaction: string;
  /** The request frame itself. */
  frame: Frame;
}

/**
 * Answers to `listen`: a queue used in order, or a function asked each time. A function that
 * resolves `undefined` (or an exhausted queue) means the person says nothing: no speech event is
 * sent, as when nobody speaks to a real device.
 */
export type Answers = readonly string[] | ((listen: ListenRequest) => string | undefined | Promise<string | undefined>);

/** Options of {@link RelaySimulator.connect}; every one has a default. */
export interface RelaySimulatorOptions {
  /** What starts the workflow (default `phrase`, with phrase `hello`). */
  trigger?: Trigger;
  /** The simulated device; missing fields take {@link DEFAULT_DEVICE}'s values. */
  device?: Partial<SimulatedDevice>;
  /** What the person says each time the workflow listens. */
  answers?: Answers;
  /** Registration args (workflow variables) served to `get_var`. */
  vars?: Readonly<Record<string, string>>;
  /** Groups by name, each a list of device names, for `group_query` and notifications. */
  groups?: Readonly<Record<string, readonly string[]>>;
  /**
   * Who acknowledges broadcasts, alerts and notifies: `targets` (default) is every targeted
   * device but the simulated one, `none` is nobody, or a list of device names.
   */
  acknowledgers?: 'targets' | 'none' | readonly string[];
  /**
   * Milliseconds before each acknowledgement (the first counted from the notification's
   * response). Default: `promptGapMs`. Acknowledgements not yet sent when the workflow cancels
   * the notification are dropped, as a cancelled alert can no longer be acknowledged.
   */
  ackDelayMs?: number;
  /**
   * Errors to inject, as `wf_api_error_response {error}`: by action name (`get_device_info`,
   * `say`...), or a function of the request returning the error string or undefined.
   */
  errors?: Readonly<Record<string, string>> | ((request: Frame) => string | undefined);
  /**
   * Milliseconds between a response and each event it causes (prompt started/stopped, speech,
   * lifecycle). Default 5: 2.4.0 misses events that arrive in the same TCP read as the response.
   */
  promptGapMs?: number;
  /** Write each response and the events it causes in one TCP write (to test a server copes). */
  together?: boolean;
  /** Divides every timer's delay: 1000 makes a 10 s timer fire after 10 ms. Default 1. */
  timerSpeedup?: number;
  /** Called with each device log line as it happens (the CLI prints them). */
  onLog?: (line: string) => void;
  /** Called with each frame as it crosses the wire, either way. */
  onFrame?: (entry: TranscriptEntry) => void;
}
