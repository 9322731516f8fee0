import type { SimulatedDevice } from './device';
import { dialUrlOf } from './registered-row';
import { RelaySimulator, type RelaySimulatorOptions, type SimulationResult } from './relay-simulator';
import { WaitingQueue } from './waiting-queue';
import { SimulatorError, SimulatorErrorCode } from './wire';

/** How each session the cloud opens plays its device (answers, gaps, timers...); trigger, device and vars come from the cloud. */
export type CloudSimulatorOptions = Omit<RelaySimulatorOptions, 'trigger' | 'device' | 'vars'>;

/** A session the cloud opened: one per target device of an HTTP trigger, one for a spoken phrase. */
export interface CloudSession {
  workflowId: string;
  deviceId: string;
  /** What started it: an HTTP trigger, or a phrase spoken on the device (`RelayCloud.speak`). */
  trigger: 'http' | 'phrase';
  /** The registered phrase a spoken phrase matched (sent as the start event's `trigger.args.phrase`). */
  phrase?: string;
  /** The URL connected to: the registered one (a `wss://` loopback one as `ws://`, see docs/registration.md). */
  url: string;
  /** The HTTP trigger's `action_args` (sent as the start event's `trigger.args.args`); `{}` for a phrase. */
  actionArgs: Readonly<Record<string, string>>;
  /** The registration args `get_var` serves in this session (not part of the start event). */
  args: Readonly<Record<string, string>>;
  /** The live simulator playing Relay and the device on this session. */
  simulator: RelaySimulator;
  /** Resolves with everything recorded once the session has closed. */
  finished: Promise<SimulationResult>;
}

/** Where a trigger connects, the args `get_var` serves there, and the workflow's own simulator options. */
export interface SessionStart {
  workflowId: string;
  url: string;
  args: Readonly<Record<string, string>> | undefined;
  simulator?: CloudSimulatorOptions;
}

/** The trigger a session starts with: an HTTP trigger's `action_args`, or the registered phrase a spoken one matched. */
export type SessionTrigger = { type: 'http'; args: Record<string, string> } | { type: 'phrase'; phrase: string };

/**
 * The sessions the simulated cloud opens, as the Relay server does: each a {@link RelaySimulator}
 * connected to a workflow's URL, recorded in order and handed out once each by {@link next}.
 */
export class CloudSessions {
  /** Every session opened, in order. */
  readonly all: CloudSession[] = [];
  private readonly opening = new Set<Promise<unknown>>();
  private readonly opened = new WaitingQueue<CloudSession>();
  private closing = false;

  /** `defaults`: the cloud's simulator options, under each workflow's and each call's own. */
  constructor(private readonly defaults: CloudSimulatorOptions = {}) {}

  /**
   * Connects to `start.url` (see `dialUrlOf`) as the Relay server does and sends the start event
   * of `trigger` from `device`; resolves once the session is recorded.
   */
  async open(
    start: SessionStart,
    device: SimulatedDevice,
    trigger: SessionTrigger,
    simulator: CloudSimulatorOptions = {},
  ): Promise<CloudSession> {
    const url = dialUrlOf(start.url);
    const args = Object.assign(Object.create(null) as Record<string, string>, start.args);
    const connecting = RelaySimulator.connect(url, {
      ...this.defaults,
      ...start.simulator,
      ...simulator,
      trigger,
      device,
      vars: args,
    });
    this.opening.add(connecting);
    const connected = await connecting.finally(() => this.opening.delete(connecting));
    const session: CloudSession = {
      workflowId: start.workflowId,
      deviceId: device.id,
      trigger: trigger.type,
      ...(trigger.type === 'phrase' ? { phrase: trigger.phrase } : {}),
      url,
      actionArgs: trigger.type === 'http' ? trigger.args : {},
      args,
      simulator: connected,
      finished: connected.finished.then(() => connected.result()),
    };
    this.all.push(session);
    if (this.closing) await connected.close();
    this.opened.push(session);
    return session;
  }

  /** The next session not yet handed out (opened already or later); rejects after `timeoutMs`. */
  next(timeoutMs: number, timeoutMessage: () => string): Promise<CloudSession> {
    return this.opened.next(timeoutMs, timeoutMessage);
  }

  /** Rejects every waiting {@link next}, waits for sessions being opened, and closes every session. */
  async close(): Promise<void> {
    this.closing = true;
    this.opened.rejectWaiting(
      new SimulatorError(SimulatorErrorCode.INVALID_STATE, 'the cloud closed before a session opened'),
    );
    await Promise.allSettled([...this.opening]);
    await Promise.all(this.all.map((session) => session.simulator.close()));
  }
}
