import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { Frame } from '../relay/frame';
import { Uri } from '../relay/uri';
import { hostOf } from '../util';

/**
 * The simulated Relay server's side of the WebSocket: connecting to a workflow as the Relay server
 * does, sending and recording frames, and the frames and URNs the Relay server sends (protocol doc
 * sections 4 to 7; the URN helpers are what the server side needs beyond the workflow's `Uri`).
 */

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
  /** A phrase spoken on a simulated device matches no registration installed there (or more than one). */
  NOT_REGISTERED: 'sim-not-registered',
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

/** How long the opening WebSocket handshake may take before the connection counts as failed. */
const OPENING_HANDSHAKE_MS = 5_000;
/** Network errors that mean "nothing is listening there". */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ECONNRESET',
  'ETIMEDOUT',
]);

/**
 * Opens a WebSocket to a workflow URL the way the Relay server does (a plain client, no
 * compression). Rejects with a {@link SimulatorError} whose message says what went wrong:
 * nothing listening, no workflow at that path (404, with the server's own explanation), or
 * another refusal.
 */
export function connectAsRelay(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: OPENING_HANDSHAKE_MS });
    } catch (error) {
      reject(
        new SimulatorError(SimulatorErrorCode.CONNECT_FAILED, `cannot connect to ${url}: ${(error as Error).message}`),
      );
      return;
    }
    const fail = (error: SimulatorError) => {
      socket.removeAllListeners('open');
      reject(error);
    };
    socket.once('open', () => {
      socket.removeAllListeners('unexpected-response');
      resolve(socket);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code !== undefined && UNREACHABLE.has(err.code)
          ? `nothing is listening at ${hostOf(url)} (${err.code}); is the server running?`
          : err.message;
      fail(new SimulatorError(SimulatorErrorCode.CONNECT_FAILED, `cannot connect to ${url}: ${why}`));
    });
    socket.once('unexpected-response', (request, response: IncomingMessage) => {
      void readRefusalReason(response).then((reason) => {
        request.destroy();
        const status = response.statusCode ?? 0;
        const detail = reason === '' ? '' : `: ${reason}`;
        if (status === 404) {
          const path = URL.parse(url)?.pathname ?? url;
          fail(new SimulatorError(SimulatorErrorCode.NOT_FOUND, `no workflow at ${path} (HTTP 404)${detail}`, status));
        } else {
          fail(
            new SimulatorError(
              SimulatorErrorCode.UPGRADE_REFUSED,
              `the server refused ${url} with HTTP ${status}${detail}`,
              status,
            ),
          );
        }
      });
    });
  });
}

/** The first line of a refused upgrade's body, kept short: servers explain refusals there. Never rejects. */
function readRefusalReason(response: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      if (body.length < 1_000) body += chunk;
    });
    const finish = () => resolve((body.split('\n')[0] ?? '').trim().slice(0, 300));
    response.once('end', finish);
    response.once('error', finish);
  });
}

export interface SimWireOptions {
  /** Milliseconds between a response and each event it causes. */
  gapMs: number;
  /** Write a response and its events in a single TCP write instead. */
  singleWrite: boolean;
  onFrame?: (entry: TranscriptEntry) => void;
}

/**
 * The simulator's side of the socket: sends frames (apart, with gaps, or in a single TCP write),
 * records the transcript in both directions, and owns the gap timers so that {@link release}
 * leaves nothing scheduled.
 */
export class SimWire {
  readonly transcript: TranscriptEntry[] = [];
  private readonly startedAt = Date.now();
  private readonly gaps = new Set<NodeJS.Timeout>();
  private released = false;

  constructor(
    readonly socket: WebSocket,
    private readonly options: SimWireOptions,
  ) {}

  get open(): boolean {
    return !this.released && this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends one frame now (dropped once the socket has closed). */
  send(frame: Frame): void {
    if (!this.open) return;
    this.record('relay', frame);
    this.socket.send(JSON.stringify(frame));
  }

  /** Sends several frames in a single TCP write. */
  sendInSingleWrite(frames: Frame[]): void {
    if (!this.open) return;
    frames.forEach((frame) => this.record('relay', frame));
    writeInSingleWrite(this.socket, frames);
  }

  /**
   * Sends the response to `request` with `body`, then each event after a gap (all in a single
   * write with `singleWrite`). `onEvent` runs as each event goes out.
   */
  async respond(
    request: Frame,
    body: Record<string, unknown> = {},
    events: Frame[] = [],
    onEvent?: (event: Frame) => void,
  ): Promise<void> {
    const response = { ...responseTo(request), ...body };
    if (this.options.singleWrite) {
      if (!this.open) return;
      this.sendInSingleWrite([response, ...events]);
      events.forEach((event) => onEvent?.(event));
      return;
    }
    this.send(response);
    for (const event of events) {
      await this.gap();
      if (!this.open) return;
      onEvent?.(event);
      this.send(event);
    }
  }

  /** Waits `ms` (the configured gap by default). Never settles once {@link release} has run, so nothing follows a close. */
  gap(ms = this.options.gapMs): Promise<void> {
    return new Promise((resolve) => {
      if (this.released) return;
      const timer = setTimeout(() => {
        this.gaps.delete(timer);
        resolve();
      }, ms);
      this.gaps.add(timer);
    });
  }

  /** Records a frame in the transcript. */
  record(from: TranscriptEntry['from'], frame: Frame): void {
    const at = Date.now();
    const entry: TranscriptEntry = { from, at, elapsedMs: at - this.startedAt, frame };
    this.transcript.push(entry);
    this.options.onFrame?.(entry);
  }

  /** Cancels every pending gap; later sends are dropped. */
  release(): void {
    this.released = true;
    for (const timer of this.gaps) clearTimeout(timer);
    this.gaps.clear();
  }
}

/**
 * Writes several JSON frames in a single TCP write, so the workflow reads them in one go: the
 * case where 2.4.0 misses an event that arrives with its response (protocol doc section 7.1).
 * `ws` has no API for this, so the frames are masked here (RFC 6455 section 5.3, as a client must)
 * and written to the underlying socket.
 */
export function writeInSingleWrite(socket: WebSocket, frames: object[]): void {
  writeFramesInSingleWrite(
    socket,
    frames.map((frame) => maskedFrame(0x1, Buffer.from(JSON.stringify(frame)))),
  );
}

/** Writes client frames built with {@link maskedFrame} (a close frame among them, say) in a single TCP write. */
export function writeFramesInSingleWrite(socket: WebSocket, frames: Buffer[]): void {
  const raw = (socket as unknown as { _socket?: Socket })._socket;
  if (raw === undefined || !raw.writable) return;
  raw.write(Buffer.concat(frames));
}

/** One final client frame of `opcode` (0x1 text, 0x8 close...) carrying `payload`, masked as a client's must be. */
export function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? Buffer.alloc(2) : length < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = 0x80 | opcode; // FIN + opcode
  if (length < 126) header[1] = 0x80 | length;
  else if (length < 65_536) {
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = randomBytes(4);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = (payload[i] as number) ^ (mask[i % 4] as number);
  return Buffer.concat([header, mask, masked]);
}

/** Trigger types a Relay server starts workflows with (protocol doc section 4.2). */
export const TRIGGER_TYPES = [
  'phrase',
  'button',
  'http',
  'nfc',
  'emergency',
  'other',
  'calendar',
  'geofence',
  'telephony',
] as const;
export type SimTriggerType = (typeof TRIGGER_TYPES)[number];

/** What fired the workflow. Fields that do not apply to the type are ignored. */
export interface TriggerSpec {
  type: SimTriggerType;
  /** `phrase`: the spoken phrase (default `hello`). */
  phrase?: string;
  /** `button`: which tap (default single). */
  action?: 'action_button_single_tap' | 'action_button_double_tap' | 'action_button_triple_tap';
  /** `http`: the trigger's `action_args`, sent as `trigger.args.args`. */
  args?: Record<string, unknown>;
  /** `nfc`: tag uid and payload. */
  uid?: string;
  nfcPayload?: Record<string, unknown>;
  /** Overrides `source_uri` (the simulated device's URN by default). */
  sourceUri?: string;
}

/** A trigger type alone, or a full {@link TriggerSpec}. */
export type Trigger = SimTriggerType | TriggerSpec;

/** The `wf_api_start_event` the Relay server sends first, with no `_id`. */
export function buildStartEvent(trigger: Trigger, device: string): Frame {
  const spec: TriggerSpec = typeof trigger === 'string' ? { type: trigger } : trigger;
  const source_uri = spec.sourceUri ?? device;
  const args = ((): Record<string, unknown> => {
    switch (spec.type) {
      case 'phrase':
        return { phrase: spec.phrase ?? 'hello', source_uri };
      case 'button':
        return { action: spec.action ?? 'action_button_single_tap', source_uri };
      case 'http':
        return { args: spec.args ?? {}, source_uri };
      case 'nfc':
        return { uid: spec.uid ?? '04AABBCC', nfc_payload: spec.nfcPayload ?? {}, source_uri };
      default:
        return { source_uri };
    }
  })();
  return { _type: 'wf_api_start_event', trigger: { type: spec.type, args } };
}

/** The bare response to a request: same `_id`, `_request` → `_response`. */
export function responseTo(request: Frame): Frame {
  return { _id: request._id, _type: request._type.replace(/_request$/, '_response') };
}

/** `wf_api_interaction_lifecycle_event` for an interaction URN. */
export function lifecycleEvent(type: 'started' | 'resumed' | 'ended', interaction: string): Frame {
  return { _type: 'wf_api_interaction_lifecycle_event', type, source_uri: interaction };
}

/**
 * `wf_api_prompt_event` for a say/play request. `id` is the request `_id`, which is also the
 * response's `id`: 2.4.0 matches on the response `id`, relay-py and relay-java on the request `_id`.
 */
export function promptEvent(type: 'started' | 'stopped', request: Frame, source: string): Frame {
  return { _type: 'wf_api_prompt_event', type, id: request._id, source_uri: source };
}

/**
 * The acknowledgements of a broadcast, alert or notify: one `wf_api_notification_event` per
 * acknowledging device, in order, each with the `notification_state` as of that acknowledgement.
 */
export function ackEvents(name: string, created: string[], acknowledgers: string[]): Frame[] {
  return acknowledgers.map((device, index) => ({
    _type: 'wf_api_notification_event',
    event: 'ack_event',
    name,
    source_uri: device,
    notification_state: { acknowledged: acknowledgers.slice(0, index + 1), created, cancelled: [], timed_out: [] },
  }));
}

/** `urn:relay-resource:name:device:<enc(name)>`. */
export const deviceUrn = Uri.deviceName;

/** `urn:relay-resource:name:group:<enc(name)>`. */
export const groupUrn = Uri.groupName;

/**
 * The interaction URN the Relay server sends in `source_uri`:
 * `urn:relay-resource:name:interaction:<enc(name)>?device=<enc(device URN)>`.
 */
export function interactionUrn(name: string, device: string): string {
  return `urn:relay-resource:name:interaction:${encodeURIComponent(name)}?device=${encodeURIComponent(device)}`;
}

/** The decoded id of a `name`-style URN of `kind` (device, group, interaction), or undefined. */
export function nameInUrn(urn: string, kind: 'device' | 'group' | 'interaction'): string | undefined {
  const prefix = `urn:relay-resource:name:${kind}:`;
  if (!urn.startsWith(prefix)) return undefined;
  const id = urn.slice(prefix.length).split('?')[0] ?? '';
  return decodeFully(id);
}

/** The device URN an interaction URN names in its `device=` parameter (or the URN itself if it is a device). */
export function deviceOfUrn(urn: string): string | undefined {
  if (urn.startsWith('urn:relay-resource:name:device:') || urn.startsWith('urn:relay-resource:id:device:')) return urn;
  const query = urn.split('?')[1];
  const device = new URLSearchParams(query ?? '').get('device');
  return device === null ? undefined : decodeFully(device);
}

/**
 * Decodes until nothing changes: 2.4.0's `isGroupMember` double-encodes names with spaces
 * (`Security%2520One`), and the Relay server resolves those to the same group.
 */
function decodeFully(value: string): string {
  let current = value;
  for (let i = 0; i < 3; i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      return current;
    }
    if (next === current) return current;
    current = next;
  }
  return current;
}
