import type { RelaySimulator } from './relay-simulator';
import type { RelaySimulatorOptions } from './relay-simulator-options';
import type { SimulatedDevice } from './simulated-device';
import type { SimulationResult } from './simulation-records';

/** How each session the cloud opens plays its device (answers, gaps, timers...); trigger, device and vars come from the cloud. */
export type CloudSimulatorOptions = Omit<RelaySimulatorOptions, 'trigger' | 'device' | 'vars'>;

/** Options of {@link RelayCloud.start}; every one has a default. */
export interface RelayCloudOptions {
  /** Port to listen on; default 0 (a free one). */
  port?: number;
  /** Interface; default 127.0.0.1. */
  host?: string;
  /** The refresh token the token service accepts (RELAY_API_KEY). Default: a random one. */
  apiKey?: string;
  /** The account (RELAY_SUBSCRIBER_ID). Default `sim-subscriber`. */
  subscriberId?: string;
  /** The user id `/oauth2/validate` answers. Default `sim-user`. */
  userId?: string;
  /** The OAuth client id the token service expects. Default: pro's, what RELAY_ENV=pro sends. */
  clientId?: string;
  /** `expires_in` of each access token. Default 3600. */
  tokenLifetimeSecs?: number;
  /** The account's devices; the first is the default target. Default: one device, the simulator's default. */
  devices?: ReadonlyArray<Partial<SimulatedDevice>>;
  /** Applied to every session the cloud opens. */
  simulator?: CloudSimulatorOptions;
  /** Largest request body accepted; default 64 KiB (larger gets 413). */
  maxBodyBytes?: number;
  /** Called with a line for each request answered (the CLI prints them). Never holds a token. */
  onLog?: (line: string) => void;
}

/** A workflow registered with an HTTP trigger (`relay workflow:create:http`). */
export interface CloudRegistration {
  /** Registration args, served to `get_var` (not part of the start event). */
  args?: Readonly<Record<string, string>>;
  /** Device ids it is installed on (`-i`), used when a trigger names no targets. Default: the cloud's default device. */
  devices?: readonly string[];
  /** Applied to this workflow's sessions, over the cloud's `simulator` options. */
  simulator?: CloudSimulatorOptions;
}

/** A session the cloud opened for an HTTP trigger: one per target device. */
export interface CloudSession {
  workflowId: string;
  deviceId: string;
  /** The trigger's `action_args` (sent as the start event's `trigger.args.args`). */
  actionArgs: Readonly<Record<string, string>>;
  /** The live simulator playing Relay and the device on this session. */
  simulator: RelaySimulator;
  /** Resolves with everything recorded once the session has closed. */
  finished: Promise<SimulationResult>;
}

/** The cloud's endpoints, as counted in {@link RelayCloud.calls}. */
export type CloudEndpoint = 'token' | 'validate' | 'trigger' | 'device' | 'other';

/** One request the cloud answered (no header values, no body). */
export interface CloudRequest {
  endpoint: CloudEndpoint;
  method: string;
  /** The path without the query string. */
  path: string;
  status: number;
  userAgent: string | undefined;
}
