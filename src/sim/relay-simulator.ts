import type WebSocket from 'ws';
import { parseFrame, textOf, type Frame } from '../relay/frame';
import {
  applyDeviceField,
  DEFAULT_DEVICE,
  describeLed,
  deviceInfo,
  GroupDirectory,
  type ButtonPress,
  type LedChange,
  type SentNotification,
  type SimInteraction,
  type SimulatedDevice,
  type Vibration,
} from './device';
import { SimTimers, type SimTimer } from './timers';
import {
  ackEvents,
  buildStartEvent,
  connectAsRelay,
  deviceOfUrn,
  deviceUrn,
  interactionUrn,
  lifecycleEvent,
  nameInUrn,
  promptEvent,
  responseTo,
  SimulatorError,
  SimulatorErrorCode,
  SimWire,
  type TranscriptEntry,
  type Trigger,
} from './wire';

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
  /** Requests left without any response, as by a Relay server that is slow or lost them: true for each to leave unanswered. */
  unanswered?: (request: Frame) => boolean;
  /**
   * Milliseconds between a response and each event it causes (prompt started/stopped, speech,
   * lifecycle). Default 5: 2.4.0 misses events that arrive in the same TCP read as the response.
   */
  promptGapMs?: number;
  /** Write each response and the events it causes in a single TCP write (to test a server copes). */
  singleWrite?: boolean;
  /** Divides every timer's delay: 1000 makes a 10 s timer fire after 10 ms. Default 1. */
  timerSpeedup?: number;
  /** Called with each device log line as it happens (the CLI prints them). */
  onLog?: (line: string) => void;
  /** Called with each frame as it crosses the wire, either way. */
  onFrame?: (entry: TranscriptEntry) => void;
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

const REQUEST_TYPE = /^wf_api_(\w+)_request$/;
/** How long the simulator's `close()` waits for the workflow's side of the closing handshake before cutting the socket. */
const SIM_CLOSE_HANDSHAKE_MS = 1_000;

/**
 * Plays the Relay server and one device against a workflow, over a real WebSocket, locally: it
 * connects to `ws://host:port/<workflow>` as the Relay server does, sends the start event, and
 * answers every request as the Relay server does (protocol doc sections 3, 4, 6 and 9), while
 * recording every frame and a readable device log. Works with this project's server and with
 * servers built on `@relaypro/sdk` 2.4.0.
 *
 * For tests, {@link simulate} wraps it in one call.
 *
 * @example
 * const sim = await RelaySimulator.connect('ws://localhost:8080/hello', { answers: ['Ana'] })
 * await sim.waitFor((frame) => frame._type === 'wf_api_listen_request')
 * sim.pressButton('double')
 * const end = await sim.finished // { terminated: true, code: 1000, ... }
 * sim.result().says // ['What is your name?', 'Hello Ana!']
 */
export class RelaySimulator {
  /** The simulated device; `set_device_info` and `set_user_profile` change it. */
  readonly device: SimulatedDevice;
  /** Resolves (never rejects) when the WebSocket has closed, saying how. */
  readonly finished: Promise<SimulationEnd>;
  /** The device log so far. */
  readonly log: string[] = [];
  private readonly wire: SimWire;
  private readonly deviceUri: string;
  private readonly options: RelaySimulatorOptions;
  private readonly answers: Answers;
  private answerIndex = 0;
  private readonly vars: Record<string, string>;
  private readonly groups: GroupDirectory;
  private readonly timers = new SimTimers();
  private readonly watchers: Array<{
    accept: (frame: Frame) => boolean;
    resolve: (frame: Frame) => void;
    reject: (error: Error) => void;
  }> = [];
  private readonly records = {
    says: [] as string[],
    plays: [] as string[],
    heard: [] as string[],
    requests: [] as Frame[],
    leds: [] as LedChange[],
    vibrations: [] as Vibration[],
    notifications: [] as SentNotification[],
    interactions: [] as SimInteraction[],
    buttons: [] as ButtonPress[],
  };
  private terminated = false;
  private closedByRelay = false;
  private end?: SimulationEnd;
  private incidents = 0;
  /** The latest broadcast/alert/notify of each name, and whether the workflow has cancelled it. */
  private readonly liveNotifications = new Map<string, { cancelled: boolean }>();

  private constructor(
    private readonly socket: WebSocket,
    options: RelaySimulatorOptions,
  ) {
    this.options = options;
    this.device = { ...DEFAULT_DEVICE, ...options.device };
    this.deviceUri = deviceUrn(this.device.name);
    this.answers = options.answers ?? [];
    // Null prototype: the workflow names the variables it reads, so `constructor` must find nothing.
    this.vars = Object.assign(Object.create(null) as Record<string, string>, options.vars);
    this.groups = new GroupDirectory(options.groups);
    this.wire = new SimWire(socket, {
      gapMs: options.promptGapMs ?? 5,
      singleWrite: options.singleWrite === true,
      onFrame: options.onFrame,
    });
    socket.on('message', (data: Buffer, isBinary) => this.receive(data, isBinary));
    socket.on('error', (err) => this.note(`connection error: ${err.message}`));
    this.finished = new Promise((resolve) => {
      socket.once('close', (code, reason) => resolve(this.closed(code, reason.toString())));
    });
  }

  /**
   * Connects to a workflow URL like the Relay server, then sends the start event for
   * `options.trigger`. Rejects with a {@link SimulatorError} when nothing listens there
   * (`sim-connect-failed`) or the server has no workflow at that path (`sim-workflow-not-found`).
   */
  static async connect(url: string, options: RelaySimulatorOptions = {}): Promise<RelaySimulator> {
    const socket = await connectAsRelay(url);
    const sim = new RelaySimulator(socket, options);
    sim.send(buildStartEvent(options.trigger ?? 'phrase', sim.deviceUri));
    return sim;
  }

  /** Every frame so far, both directions. */
  get transcript(): TranscriptEntry[] {
    return this.wire.transcript;
  }

  /** The URN of the simulated device, as sent in `source_uri`. */
  get deviceUrn(): string {
    return this.deviceUri;
  }

  /** The interaction a button press goes to: the latest one still open, if any. */
  get interaction(): string | undefined {
    return this.records.interactions.findLast((interaction) => !interaction.ended)?.uri;
  }

  /**
   * Presses the device's button during the open interaction: sends
   * `wf_api_button_event {button, taps, source_uri: <interaction>}`. Throws `sim-invalid-state`
   * when no interaction is open, since a real device sends button events only during one.
   */
  pressButton(taps: ButtonPress['taps'] = 'single', button: ButtonPress['button'] = 'action'): void {
    const interaction = this.interaction;
    if (interaction === undefined) {
      throw new SimulatorError(
        SimulatorErrorCode.INVALID_STATE,
        'the device has no open interaction: a button press reaches the workflow only during one',
      );
    }
    this.records.buttons.push({ button, taps, interaction });
    this.note(`${taps} press on the ${button} button`);
    this.send({ _type: 'wf_api_button_event', button, taps, source_uri: interaction });
  }

  /** Sends any event frame to the workflow, for events the simulator does not produce itself (incident, call...). */
  sendEvent(frame: Frame): void {
    this.send(frame);
  }

  /**
   * The first frame from the workflow, received so far or later, that `accept` takes. Rejects
   * with `sim-invalid-state` if the session closes first.
   */
  waitFor(accept: (frame: Frame) => boolean): Promise<Frame> {
    const seen = this.transcript.find((entry) => entry.from === 'workflow' && accept(entry.frame));
    if (seen !== undefined) return Promise.resolve(seen.frame);
    if (this.end !== undefined) return Promise.reject(this.closedError());
    return new Promise((resolve, reject) => this.watchers.push({ accept, resolve, reject }));
  }

  /** Everything recorded so far; complete once {@link finished} has resolved. */
  result(): SimulationResult {
    const end = this.end ?? { terminated: this.terminated, code: 0, reason: 'still open', closedBy: 'relay' };
    return {
      ...end,
      ...this.records,
      log: [...this.log],
      transcript: [...this.wire.transcript],
      timers: [...this.timers.all],
      vars: { ...this.vars },
    };
  }

  /** Closes the connection (code 1000) and releases every timer. Safe to call more than once. */
  async close(): Promise<void> {
    this.release();
    if (this.end === undefined) {
      this.closedByRelay = true;
      const cut = setTimeout(() => this.socket.terminate(), SIM_CLOSE_HANDSHAKE_MS);
      this.socket.close(1000, 'simulator closed');
      await this.finished;
      clearTimeout(cut);
    }
  }

  private receive(data: Buffer, isBinary: boolean): void {
    const parsed = isBinary ? { problem: 'binary frame' } : parseFrame(textOf(data));
    if ('problem' in parsed) {
      this.note(`ignored a frame from the workflow: ${String(parsed.problem)}`);
      return;
    }
    this.wire.record('workflow', parsed);
    for (const watcher of [...this.watchers]) {
      if (!watcher.accept(parsed)) continue;
      this.watchers.splice(this.watchers.indexOf(watcher), 1);
      watcher.resolve(parsed);
    }
    const action = REQUEST_TYPE.exec(parsed._type)?.[1];
    if (action === undefined) return;
    this.records.requests.push(parsed);
    this.answer(action, parsed).catch((err: unknown) =>
      this.note(`simulator failed to answer ${action}: ${String(err)}`),
    );
  }

  /** Answers one request the way the Relay server does. */
  private async answer(action: string, frame: Frame): Promise<void> {
    if (action === 'terminate') return this.terminate();
    if (this.options.unanswered?.(frame) === true) {
      this.note(`leaves ${action} unanswered`);
      return;
    }
    const error = this.injectedError(action, frame);
    if (error !== undefined) {
      this.note(`fails ${action}: ${error} (injected)`);
      this.send({ _id: frame._id, _type: 'wf_api_error_response', error });
      return;
    }
    const targets = frame._target?.uris ?? [];
    const source = targets[0] ?? this.deviceUri;
    switch (action) {
      case 'start_interaction':
        return this.startInteraction(frame, targets);
      case 'end_interaction':
        return this.endInteraction(frame, targets);
      case 'say':
        this.records.says.push(String(frame.text));
        this.note(`says: ${String(frame.text)}`);
        return this.wire.respond(frame, { id: frame._id }, [
          promptEvent('started', frame, source),
          promptEvent('stopped', frame, source),
        ]);
      case 'play':
        this.records.plays.push(String(frame.filename));
        this.note(`plays ${String(frame.filename)}`);
        return this.wire.respond(frame, { id: frame._id }, [
          promptEvent('started', frame, source),
          promptEvent('stopped', frame, source),
        ]);
      case 'listen':
        return this.listen(frame, source);
      case 'get_var': {
        const value = this.vars[String(frame.name)];
        return this.wire.respond(frame, value === undefined ? {} : { value });
      }
      case 'set_var':
        this.vars[String(frame.name)] = String(frame.value);
        return this.wire.respond(frame, { name: frame.name, value: frame.value, type: 'string' });
      case 'unset_var':
        delete this.vars[String(frame.name)];
        return this.wire.respond(frame);
      case 'get_device_info': {
        const query = String(frame.query);
        const value = deviceInfo(this.device, query);
        return this.wire.respond(frame, value === undefined ? {} : { [query]: value });
      }
      case 'set_device_info':
        this.note(applyDeviceField(this.device, String(frame.field), frame.value));
        return this.wire.respond(frame);
      case 'set_user_profile':
        this.device.username = String(frame.username);
        this.note(`signed in as ${this.device.username}`);
        return this.wire.respond(frame);
      case 'set_led':
        this.setLed(frame, targets);
        return this.wire.respond(frame);
      case 'vibrate': {
        const pattern = Array.isArray(frame.pattern) ? frame.pattern.map(Number) : [];
        this.records.vibrations.push({ pattern, target: targets });
        this.note(`vibrates (${pattern.join(', ')} ms)`);
        return this.wire.respond(frame);
      }
      case 'notification':
        return this.notification(frame, targets);
      case 'group_query':
        return this.wire.respond(frame, this.groups.answer(frame.query, String(frame.group_uri)));
      case 'set_timer':
      case 'clear_timer':
      case 'start_timer':
      case 'stop_timer':
        this.timers.answer(action, frame, this.options.timerSpeedup ?? 1, (event, line) => {
          this.note(line);
          this.send(event);
        });
        return this.wire.respond(frame);
      case 'translate':
        return this.wire.respond(frame, { text: `[${String(frame.to_lang)}] ${String(frame.text)}` });
      case 'inbox_count':
        return this.wire.respond(frame, { count: '0' });
      case 'create_incident':
        this.incidents += 1;
        this.note(`incident ${String(frame.type)} created`);
        return this.wire.respond(frame, { incident_id: `incident-${this.incidents}` });
      default:
        return this.wire.respond(frame);
    }
  }

  /**
   * An interaction counts as open (for {@link pressButton}) once its `started` event is on the
   * wire: a real device cannot press a button in an interaction the workflow has not heard of yet.
   */
  private async startInteraction(frame: Frame, targets: string[]): Promise<void> {
    const name = String(frame.name);
    const uris = targets.map((target) => interactionUrn(name, deviceOfUrn(target) ?? target));
    const events = [
      ...uris.map((uri) => lifecycleEvent('started', uri)),
      ...uris.map((uri) => lifecycleEvent('resumed', uri)),
    ];
    await this.wire.respond(frame, {}, events, (event) => {
      if (event.type !== 'started') return;
      this.records.interactions.push({ name, uri: String(event.source_uri), ended: false });
      this.note(`interaction "${name}" started`);
    });
  }

  /** The target is an interaction URN, or (2.4.0 style) a device URN plus the interaction name. */
  private async endInteraction(frame: Frame, targets: string[]): Promise<void> {
    const uris = targets.map((target) =>
      nameInUrn(target, 'interaction') !== undefined
        ? target
        : interactionUrn(String(frame.name), deviceOfUrn(target) ?? target),
    );
    for (const interaction of this.records.interactions) {
      if (uris.includes(interaction.uri) && !interaction.ended) {
        interaction.ended = true;
        this.note(`interaction "${interaction.name}" ended`);
      }
    }
    await this.wire.respond(
      frame,
      {},
      uris.map((uri) => lifecycleEvent('ended', uri)),
    );
  }

  private async listen(frame: Frame, interaction: string): Promise<void> {
    const request: ListenRequest = {
      phrases: Array.isArray(frame.phrases) ? frame.phrases.map(String) : [],
      transcribe: frame.transcribe !== false,
      lang: typeof frame.alt_lang === 'string' ? frame.alt_lang : 'en-US',
      interaction,
      frame,
    };
    this.note('listens');
    if (this.options.singleWrite !== true) this.send(responseTo(frame));
    const text = await this.nextAnswer(request);
    if (this.end !== undefined) return;
    if (text === undefined) {
      this.note('hears nothing (no answer given)');
      if (this.options.singleWrite === true) this.send(responseTo(frame));
      return;
    }
    this.records.heard.push(text);
    this.note(`hears: ${text}`);
    const speech: Frame = {
      _type: 'wf_api_speech_event',
      request_id: frame._id,
      ...(request.transcribe ? { text } : { audio: Buffer.from(text).toString('base64') }),
      lang: request.lang,
      source_uri: interaction,
    };
    if (this.options.singleWrite === true) {
      this.wire.sendInSingleWrite([responseTo(frame), speech]);
      return;
    }
    await this.wire.gap();
    this.send(speech);
  }

  private nextAnswer(request: ListenRequest): Promise<string | undefined> {
    const answers = this.answers;
    if (typeof answers === 'function') return Promise.resolve(answers(request));
    const answer = answers[this.answerIndex];
    this.answerIndex += 1;
    return Promise.resolve(answer);
  }

  private setLed(frame: Frame, targets: string[]): void {
    const args = typeof frame.args === 'object' && frame.args !== null ? (frame.args as Record<string, unknown>) : {};
    const description = describeLed(frame.effect, args);
    this.records.leds.push({ effect: String(frame.effect), args, description, target: targets });
    this.note(description);
  }

  /**
   * Broadcast, alert and notify reach the targeted devices; each acknowledging device then sends
   * `wf_api_notification_event {event: "ack_event", source_uri: <that device>, notification_state}`,
   * `ackDelayMs` apart. Once the workflow cancels the notification, the devices that have not
   * acknowledged yet no longer can: their acknowledgements are dropped.
   */
  private async notification(frame: Frame, targets: string[]): Promise<void> {
    const type = String(frame.type);
    const name = String(frame.name);
    const record: SentNotification = { type, name, target: targets, acknowledgedBy: [] };
    if (typeof frame.text === 'string') record.text = frame.text;
    if (typeof frame.originator === 'string') record.originator = frame.originator;
    this.records.notifications.push(record);
    if (type === 'cancel') {
      this.note(`cancels notification "${name}"`);
      const live = this.liveNotifications.get(name);
      if (live !== undefined) live.cancelled = true;
      return this.wire.respond(frame);
    }
    this.note(`sends ${type} "${name}": ${String(frame.text)}`);
    const live = { cancelled: false };
    this.liveNotifications.set(name, live);
    const created = this.groups.devicesOf(targets);
    const events = ackEvents(name, created, this.acknowledgersOf(created));
    const acknowledge = (event: Frame) => {
      record.acknowledgedBy.push(String(event.source_uri));
      this.note(`${nameInUrn(String(event.source_uri), 'device') ?? String(event.source_uri)} acknowledges "${name}"`);
    };
    if (this.options.singleWrite === true) return this.wire.respond(frame, {}, events, acknowledge);
    await this.wire.respond(frame);
    for (const event of events) {
      await this.wire.gap(this.options.ackDelayMs);
      if (!this.wire.open || live.cancelled) return;
      acknowledge(event);
      this.send(event);
    }
  }

  private acknowledgersOf(created: string[]): string[] {
    const setting = this.options.acknowledgers ?? 'targets';
    if (setting === 'none') return [];
    if (setting === 'targets') return created.filter((device) => device !== this.deviceUri);
    return setting.map(deviceUrn);
  }

  /**
   * No response exists for terminate: the Relay server sends `stop` and, a moment later, closes
   * the socket. Timers stop at once.
   */
  private async terminate(): Promise<void> {
    this.terminated = true;
    this.note('workflow terminated');
    this.send({ _type: 'wf_api_stop_event', reason: 'normal' });
    this.timers.clearAll();
    await this.wire.gap();
    this.release();
    if (this.end !== undefined) return;
    this.closedByRelay = true;
    this.socket.close(1000, 'workflow terminated');
  }

  private injectedError(action: string, frame: Frame): string | undefined {
    const errors = this.options.errors;
    if (errors === undefined) return undefined;
    return typeof errors === 'function' ? errors(frame) : errors[action];
  }

  private note(line: string): void {
    this.log.push(line);
    this.options.onLog?.(line);
  }

  private send(frame: Frame): void {
    this.wire.send(frame);
  }

  private release(): void {
    this.timers.clearAll();
    this.wire.release();
  }

  private closed(code: number, reason: string): SimulationEnd {
    this.release();
    this.end = { terminated: this.terminated, code, reason, closedBy: this.closedByRelay ? 'relay' : 'workflow' };
    for (const watcher of this.watchers.splice(0)) watcher.reject(this.closedError());
    return this.end;
  }

  private closedError(): SimulatorError {
    return new SimulatorError(
      SimulatorErrorCode.INVALID_STATE,
      'the session closed before the workflow sent the frame waited for',
    );
  }
}
