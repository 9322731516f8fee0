import type { Frame } from '../relay/frame';

/** One frame on the wire, as the simulator saw it. */
export interface TranscriptEntry {
  /** `relay`: the simulator sent it; `workflow`: the workflow sent it. */
  from: 'relay' | 'workflow';
  /** Wall-clock time (ms since the epoch). */
  at: number;
  /** Milliseconds since the simulator connected. */
  elapsedMs: number;
  frame: Frame;
}

/** A `set_led` request. */
export interface LedChange {
  effect: string;
  args: Record<string, unknown>;
  /** As the device log shows it, e.g. `LED ring flashing red`. */
  description: string;
  target: string[];
}

/** A `vibrate` request. */
export interface Vibration {
  pattern: number[];
  target: string[];
}

/** A `notification` request (broadcast, alert, notify or cancel). */
export interface SentNotification {
  type: string;
  name: string;
  text?: string;
  originator?: string;
  target: string[];
  /** URNs of the simulated devices that acknowledged it. */
  acknowledgedBy: string[];
}

/** A timer the workflow set: a named one (`set_timer`) or the unnamed one (`start_timer`). */
export interface SimTimer {
  name?: string;
  /** `timeout` fires once, `interval` repeats; `start_timer` timers repeat. */
  type: 'timeout' | 'interval';
  /** Real delay between firings, after the speed-up. */
  delayMs: number;
  fired: number;
  /** Cleared by `clear_timer`/`stop_timer` (or by the simulator closing). */
  cleared: boolean;
}

/** An interaction the workflow started on the simulated device. */
export interface SimInteraction {
  name: string;
  uri: string;
  ended: boolean;
}

/** A button press the simulator sent. */
export interface ButtonPress {
  button: 'action' | 'channel';
  taps: 'single' | 'double' | 'triple' | 'long';
  interaction: string;
}

/** How the session ended. */
export interface SimulationEnd {
  /** The workflow sent `terminate` and the simulator answered with `stop` (reason `normal`). */
  terminated: boolean;
  /** WebSocket close code and reason. 1000 after a terminate; 1006 when the connection dropped. */
  code: number;
  reason: string;
  /** Who closed the socket first. */
  closedBy: 'relay' | 'workflow';
}

/** Everything a run recorded; what {@link simulate} resolves with. */
export interface SimulationResult extends SimulationEnd {
  /** Texts the device was asked to say, in order. */
  says: string[];
  /** Files the device was asked to play. */
  plays: string[];
  /** Answers given to `listen`, in order. */
  heard: string[];
  /** The readable device log (`says: ...`, `LED ring flashing red`, `vibrates ...`). */
  log: string[];
  /** Every frame, both directions, with timestamps. */
  transcript: TranscriptEntry[];
  /** Every request the workflow sent, in order. */
  requests: Frame[];
  leds: LedChange[];
  vibrations: Vibration[];
  notifications: SentNotification[];
  timers: SimTimer[];
  interactions: SimInteraction[];
  buttons: ButtonPress[];
  /** Workflow variables at the end (the registration args plus `set_var`, minus `unset_var`). */
  vars: Record<string, string>;
}
