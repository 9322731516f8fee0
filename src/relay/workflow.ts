import type { Logger } from 'pino';
import type { RelayApi } from '../api/relay-api';
import type { SessionBus, Unsubscribe } from '../bus/session-bus';
import {
  arrayMapper,
  DeviceInfoField,
  DeviceInfoQuery,
  filterInt,
  listenFor,
  numberArrayMapper,
  readDeviceInfo,
  sendNotification,
  sendPrompt,
  sendPromptAndWait,
  toCallIdRequest,
  toVarString,
  type AudioResult,
  type CallIdCarrier,
  type DeviceType,
  type LedEffect,
  type LedIndex,
  type LedInfo,
  type ListenOptions,
  type ListenResult,
  type Mapper,
  type NotificationOptions,
  type PlaceCall,
  type RegisterRequest,
  type TranscriptionResult,
  type UnregisterRequest,
} from './actions';
import { Event, Language, type EventHandler, type EventPayloads } from './event';
import { Timeouts } from './limits';
import { SECRET_ARG } from './secret-check';
import { makeId, type Session } from './session';
import { makeTargetUris, Uri, type Target } from './uri';
import type { WorkflowContext, WorkflowSettings } from './workflow-registry';

export type { AudioResult, ListenOptions, ListenResult, TranscriptionResult, WorkflowSettings };

/** Options of `workflow.subscribe`. */
export interface SubscribeOptions<T> {
  /**
   * Checks a message before the handler gets it (messages come from webhooks: check them). A
   * message it refuses is logged (its topic, never its data) and not counted as taken.
   */
  accept?: (data: unknown) => data is T;
}

/** Options of {@link Workflow.startInteraction}, sent as given. */
export interface InteractionOptions {
  color?: string;
  input_types?: string[];
  home_channel?: 'suspend' | 'normal';
}

/** A value `get` can map a variable to. */
export type VarValue = string | number | boolean | undefined | symbol | Array<string | number | boolean>;

/**
 * The API a workflow uses to talk to devices during one session: every public method of
 * `@relaypro/sdk` 2.4.0's `Workflow`, with the same names, argument order, defaults and frames.
 * The runtime builds one per session and hands it to the workflow function. Where 2.4.0 had a
 * defect, this class fixes it; docs/sdk-differences.md lists each fix.
 *
 * Every action rejects before sending when a target is not a relay URN, at once when the session
 * has closed, and with the server's error string when the Relay server answers with an error.
 *
 * @example
 * export default createWorkflow((workflow) => {
 *   workflow.on(Event.START, async ({ trigger }) => {
 *     await workflow.startInteraction([trigger.args.source_uri], 'hello')
 *   })
 * })
 */
export class Workflow {
  private defaultAnalyticEventParameters: Record<string, unknown> = {};

  /**
   * The workflow's logger: the session's pino child, so every line carries the session id, the
   * workflow name and Heroku's request id. Log outcomes and counts at info; never what a person
   * said or heard, nor a message's text (the logger censors only the fields it knows, such as
   * `text`). Not the same as {@link logMessage}, which sends Relay analytics. An instance field
   * rather than a getter, so that the prototype holds only 2.4.0's methods.
   *
   * @example
   * workflow.log.info({ members: 3, acknowledged: 2 }, 'broadcast summary')
   */
  readonly log: Logger;

  /**
   * Settings the server hands its workflows (workflows never read the environment), such as
   * `dispatchWebhookUrl` (DISPATCH_WEBHOOK_URL). An instance field, like {@link log}.
   */
  readonly settings: WorkflowSettings;

  /**
   * The server's Relay HTTP API client (trigger another workflow, read a device), or undefined when
   * RELAY_API_KEY and RELAY_SUBSCRIBER_ID are unset. An instance field, like {@link log}.
   *
   * @example
   * await workflow.api?.triggerWorkflow('wf_dispatch_abc123', [deviceId], { room: '12' })
   */
  readonly api: RelayApi | undefined;

  /** @internal Built by the runtime for each session. */
  constructor(
    private readonly session: Session,
    private readonly context: WorkflowContext = {},
  ) {
    this.log = session.log;
    this.settings = context.settings ?? {};
    this.api = context.api;
  }

  // ---- news from outside -------------------------------------------------------------------

  /**
   * Hears the session bus's messages on `topic` (routes publish them, from any dyno when REDIS_URL
   * is set). Each message's handler runs through this session's queue, one at a time with its
   * events, so it can `say`, `alert` or `terminate`; what it throws goes to the `error` handler.
   * The subscription ends with the session, or when the returned function is called. Pass
   * `accept` to check the data (it comes from outside) and type it.
   *
   * @example
   * workflow.subscribe(`transport:${requestId}`, async (update) => {
   *   await workflow.say(interaction, `Transport ${update.status}`)
   * }, { accept: isTransportUpdate })
   */
  subscribe<T = unknown>(topic: string, handler: (data: T) => unknown, options?: SubscribeOptions<T>): Unsubscribe {
    if (this.context.bus === undefined) {
      throw new Error(
        'this workflow has no session bus: workflows get one when a server built by createWorkflowServer runs them',
      );
    }
    return subscribeSession(this.session, this.context.bus, topic, handler, options);
  }

  // ---- events ----------------------------------------------------------------------------

  /** Sets the handler for an event; a later `on` for the same name replaces it. */
  on<K extends keyof EventPayloads>(name: K, handler: EventHandler<EventPayloads[K]>): void;
  on(name: string, handler: EventHandler<Record<string, unknown>>): void;
  on(name: string, handler: EventHandler<never>): void {
    this.session.on(name, handler);
  }

  /** Removes the handler for an event. */
  off(name: keyof EventPayloads | (string & {})): void {
    this.session.off(name);
  }

  // ---- interactions and audio ------------------------------------------------------------

  /** Starts an interaction on devices; its URN arrives in `interaction_started`. */
  async startInteraction(target: Target, name: string, options?: InteractionOptions): Promise<void> {
    await this.targeted(target, 'start_interaction', { name, options });
  }

  /** Ends an interaction. `name` is optional: today's Relay docs pass the interaction URN alone. */
  async endInteraction(target: Target, name?: string): Promise<void> {
    await this.targeted(target, 'end_interaction', { name });
  }

  /** Speaks `text`; resolves with the prompt id once the Relay server has it. */
  async say(target: Target, text: string, lang: string = Language.ENGLISH): Promise<string> {
    return sendPrompt(this.session, target, 'say', { text, lang });
  }

  /** Speaks `text`; resolves with the prompt id once the device has finished saying it. */
  async sayAndWait(target: Target, text: string, lang: string = Language.ENGLISH): Promise<string> {
    return sendPromptAndWait(this.session, target, 'say', { text, lang });
  }

  /** Plays an audio file (`relay-static://...` or a URL); resolves with the prompt id. */
  async play(target: Target, filename: string): Promise<string> {
    return sendPrompt(this.session, target, 'play', { filename });
  }

  /** Plays an audio file; resolves with the prompt id once it has finished. */
  async playAndWait(target: Target, filename: string): Promise<string> {
    return sendPromptAndWait(this.session, target, 'play', { filename });
  }

  /**
   * Listens for speech (or one of `phrases`) and resolves with what was heard: `{text, lang}`, or
   * `{audio}` with `transcribe: false`. Waits for speech up to `timeout` seconds (default 60).
   */
  listen(
    target: Target,
    phrases?: string[],
    options?: ListenOptions & { transcribe?: true },
  ): Promise<TranscriptionResult>;
  listen(target: Target, phrases: string[], options: ListenOptions & { transcribe: false }): Promise<AudioResult>;
  listen(target: Target, phrases?: string[], options?: ListenOptions): Promise<ListenResult>;
  async listen(target: Target, phrases: string[] = [], options: ListenOptions = {}): Promise<ListenResult> {
    return listenFor(this.session, target, phrases, options);
  }

  /** Vibrates with a pattern of on/off durations in milliseconds. */
  async vibrate(target: Target, pattern: number[]): Promise<void> {
    await this.targeted(target, 'vibrate', { pattern });
  }

  // ---- LEDs --------------------------------------------------------------------------------

  /** Lights one LED (1-16, or `ring`) in a hex color. */
  async switchLedOn(target: Target, led: LedIndex, color: string): Promise<void> {
    await this.ledAction(target, 'static', { colors: { [`${led}`]: color } });
  }

  /** Lights every LED in a hex color. */
  async switchAllLedOn(target: Target, color: string): Promise<void> {
    await this.ledAction(target, 'static', { colors: { ring: color } });
  }

  /** Turns every LED off. */
  async switchAllLedOff(target: Target): Promise<void> {
    await this.ledAction(target, 'off', {});
  }

  /** A rainbow, `rotations` times (-1: until changed). */
  async rainbow(target: Target, rotations = -1): Promise<void> {
    await this.ledAction(target, 'rainbow', { rotations });
  }

  /** One LED running around the ring until changed. */
  async rotate(target: Target, color = 'FFFFFF'): Promise<void> {
    await this.ledAction(target, 'rotate', { rotations: -1, colors: { '1': color } });
  }

  /** Flashes the ring until changed. */
  async flash(target: Target, color = '0000FF'): Promise<void> {
    await this.ledAction(target, 'flash', { count: -1, colors: { ring: color } });
  }

  /** Breathes the ring until changed. */
  async breathe(target: Target, color = '0000FF'): Promise<void> {
    await this.ledAction(target, 'breathe', { count: -1, colors: { ring: color } });
  }

  /** Any LED effect with its raw `args`. */
  async ledAction(target: Target, effect: LedEffect, args: LedInfo): Promise<void> {
    await this.targeted(target, 'set_led', { effect, args });
  }

  // ---- home channel, notifications, power ----------------------------------------------------

  /** Lets the device's home channel through again. */
  async enableHomeChannel(target: Target): Promise<void> {
    await this.targeted(target, 'set_home_channel_state', { enabled: true });
  }

  /** Keeps the device's home channel quiet during the workflow. */
  async disableHomeChannel(target: Target): Promise<void> {
    await this.targeted(target, 'set_home_channel_state', { enabled: false });
  }

  /** Speaks `text` on the targets as a broadcast named `name` (waits up to 60 s for the response). */
  async broadcast(
    target: Target,
    originator: string,
    name: string,
    text: string,
    pushOptions?: NotificationOptions,
  ): Promise<void> {
    await sendNotification(this.session, target, 'broadcast', { originator, name, text, pushOptions });
  }

  /** Cancels the broadcast named `name`. */
  async cancelBroadcast(target: Target, name: string): Promise<void> {
    await sendNotification(this.session, target, 'cancel', { name });
  }

  /** Sends a notification (2.4.0 sends it; later SDKs removed it as not working on the server). */
  async notify(
    target: Target,
    originator: string,
    name: string,
    text: string,
    pushOptions?: NotificationOptions,
  ): Promise<void> {
    await sendNotification(this.session, target, 'notify', { originator, name, text, pushOptions });
  }

  /** Cancels the notification named `name`. */
  async cancelNotify(target: Target, name: string): Promise<void> {
    await sendNotification(this.session, target, 'cancel', { name });
  }

  /** Sends an alert that repeats until acknowledged (`notification` events report on it). */
  async alert(
    target: Target,
    originator: string,
    name: string,
    text: string,
    pushOptions?: NotificationOptions,
  ): Promise<void> {
    await sendNotification(this.session, target, 'alert', { originator, name, text, pushOptions });
  }

  /** Cancels the alert named `name`. */
  async cancelAlert(target: Target, name: string): Promise<void> {
    await sendNotification(this.session, target, 'cancel', { name });
  }

  /** Restarts the device (2.4.0 sends it; later SDKs removed it as not working on the server). */
  async restartDevice(target: Target): Promise<void> {
    await this.targeted(target, 'device_power_off', { restart: true });
  }

  /** Powers the device down (2.4.0 sends it; later SDKs removed it as not working on the server). */
  async powerDownDevice(target: Target): Promise<void> {
    await this.targeted(target, 'device_power_off', { restart: false });
  }

  // ---- device info -------------------------------------------------------------------------
  // Each getter returns the response field named by its query, or undefined when it is missing.

  /** The user profile (username) signed in on the device. */
  async getUserProfile(target: string): Promise<string | undefined> {
    return readDeviceInfo(this.session, target, DeviceInfoQuery.USERNAME);
  }

  /** Signs a user profile in on the device; `force` signs out whoever is there. */
  async setUserProfile(target: string, username: string, force = false): Promise<void> {
    await this.targeted(target, 'set_user_profile', { username, force });
  }

  /** The device's name (label). */
  async getDeviceName(target: string): Promise<string | undefined> {
    return readDeviceInfo(this.session, target, DeviceInfoQuery.NAME);
  }

  /** The device's id. */
  async getDeviceId(target: string): Promise<string | undefined> {
    return readDeviceInfo(this.session, target, DeviceInfoQuery.ID);
  }

  /** The device's street address; `refresh` asks the device for a fresh fix (up to 45 s). */
  async getDeviceLocation(target: string, refresh?: boolean): Promise<string | undefined> {
    return readDeviceInfo(this.session, target, DeviceInfoQuery.ADDRESS, refresh);
  }

  /** Whether location is enabled on the device. */
  async getDeviceLocationEnabled(target: string): Promise<boolean | undefined> {
    return readDeviceInfo(this.session, target, DeviceInfoQuery.LOCATION_ENABLED);
  }

  /** Same as {@link getDeviceLocation}. */
  async getDeviceAddress(target: string, refresh?: boolean): Promise<string | undefined> {
    return this.getDeviceLocation(target, refresh);
  }

  /** The device's `[latitude, longitude]`. */
  async getDeviceCoordinates(target: string, refresh?: boolean): Promise<number[] | undefined> {
    return readDeviceInfo(this.session, target, DeviceInfoQuery.COORDINATES, refresh);
  }

  /** Same as {@link getDeviceCoordinates}. */
  async getDeviceLatLong(target: string, refresh?: boolean): Promise<number[] | undefined> {
    return this.getDeviceCoordinates(target, refresh);
  }

  /** The device's indoor location (beacon-based). */
  async getDeviceIndoorLocation(target: string, refresh?: boolean): Promise<string | undefined> {
    return readDeviceInfo(this.session, target, DeviceInfoQuery.INDOOR_LOCATION, refresh);
  }

  /** The battery level in percent. */
  async getDeviceBattery(target: string, refresh?: boolean): Promise<number | undefined> {
    return readDeviceInfo(this.session, target, DeviceInfoQuery.BATTERY, refresh);
  }

  /** The kind of device (`relay`, `relay2`, `relay_app`, ...). */
  async getDeviceType(target: string): Promise<DeviceType | undefined> {
    return readDeviceInfo(this.session, target, DeviceInfoQuery.TYPE);
  }

  /** Renames the device. */
  async setDeviceName(target: string, name: string): Promise<void> {
    await this.setDeviceInfo(target, DeviceInfoField.LABEL, name);
  }

  /** Sets the device's channel (2.4.0 sends it; later SDKs removed it as not working on the server). */
  async setDeviceChannel(target: string, channel: string): Promise<void> {
    await this.setDeviceInfo(target, DeviceInfoField.CHANNEL, channel);
  }

  /** Turns location on (sent as the string `"true"`, as 2.4.0 does). */
  async enableLocation(target: string): Promise<void> {
    await this.setDeviceInfo(target, DeviceInfoField.LOCATION_ENABLED, 'true');
  }

  /** Turns location off (sent as the string `"false"`). */
  async disableLocation(target: string): Promise<void> {
    await this.setDeviceInfo(target, DeviceInfoField.LOCATION_ENABLED, 'false');
  }

  /** Puts the device in a mode (2.4.0 sends it; later SDKs removed it as not working on the server). */
  async setDeviceMode(target: string, mode: 'panic' | 'alarm' | 'none'): Promise<void> {
    await this.targeted(target, 'set_device_mode', { mode });
  }

  /** Switches the device to a channel. */
  async setChannel(
    target: string,
    name: string,
    { suppressTTS = false, disableHomeChannel = false } = {},
  ): Promise<void> {
    await this.targeted(target, 'set_channel', {
      channel_name: name,
      suppress_tts: suppressTTS,
      disable_home_channel: disableHomeChannel,
    });
  }

  // ---- calls and inbox ---------------------------------------------------------------------

  /** Calls `call.uri` from the device. */
  async placeCall(target: string, call: PlaceCall): Promise<void> {
    await this.targeted(target, 'call', call);
  }

  /** Answers a call, given its id or the call event. */
  async answerCall(target: string, callRequest: string | CallIdCarrier): Promise<void> {
    await this.targeted(target, 'answer', toCallIdRequest(callRequest));
  }

  /** Hangs up a call, given its id or the call event. */
  async hangupCall(target: string, callRequest: string | CallIdCarrier): Promise<void> {
    await this.targeted(target, 'hangup', toCallIdRequest(callRequest));
  }

  /** Registers the device for SIP calls. */
  async registerForCalls(target: string, request: RegisterRequest): Promise<void> {
    await this.targeted(target, 'register', request);
  }

  /** Unregisters (a register request with `expires: 0`). */
  async unregisterForCalls(target: string, request: UnregisterRequest): Promise<void> {
    await this.registerForCalls(target, { ...request, expires: 0 });
  }

  /** Number of unread inbox messages; NaN when the count is not a whole number, undefined when absent. */
  async getUnreadInboxSize(target: string): Promise<number | undefined> {
    const body = await this.targeted(target, 'inbox_count', {});
    return body?.count === undefined ? undefined : filterInt(body.count);
  }

  /** Plays the unread inbox messages. */
  async playUnreadInboxMessages(target: string): Promise<void> {
    await this.targeted(target, 'play_inbox_messages', {});
  }

  // ---- timers ------------------------------------------------------------------------------

  /** A named server-side timer; fires `timer_fired` with its `name`. `timeout_type` defaults to seconds on the server. */
  async setTimer(
    type: 'timeout' | 'interval',
    name: string,
    timeout = 60,
    timeout_type?: 'ms' | 'secs' | 'mins' | 'hrs',
  ): Promise<void> {
    await this.session.request('set_timer', { type, name, timeout, timeout_type });
  }

  /** Clears the named timer. */
  async clearTimer(name: string): Promise<void> {
    await this.session.request('clear_timer', { name });
  }

  /** The unnamed timer: fires `timer` every `timeout` seconds until {@link stopTimer}. */
  async startTimer(timeout = 60): Promise<void> {
    await this.session.request('start_timer', { timeout });
  }

  /** Stops the unnamed timer. */
  async stopTimer(): Promise<void> {
    await this.session.request('stop_timer', {});
  }

  // ---- translation, groups, incidents --------------------------------------------------------

  /** Translates `text`; undefined when the response has no `text`. */
  async translate(
    text: string,
    from: string = Language.ENGLISH,
    to: string = Language.SPANISH,
  ): Promise<string | undefined> {
    const body = await this.session.request('translate', { text, from_lang: from, to_lang: to });
    return body?.text as string | undefined;
  }

  /** The member URNs of a group; an empty group gives `[]`. */
  async getGroupMembers(groupUri: string): Promise<string[] | undefined> {
    const body = await this.session.request('group_query', { group_uri: groupUri, query: 'list_members' });
    return body?.member_uris as string[] | undefined;
  }

  /** Whether a device (name URN) is in a group (name URN). Names are encoded once. */
  async isGroupMember(groupNameUri: string, potentialMemberNameUri: string): Promise<boolean | undefined> {
    const groupUri = Uri.groupMember(Uri.parseGroupName(groupNameUri), Uri.parseDeviceName(potentialMemberNameUri));
    const body = await this.session.request('group_query', { group_uri: groupUri, query: 'is_member' });
    return body?.is_member as boolean | undefined;
  }

  /** Opens an incident; resolves with its id. */
  async createIncident(originatorUri: string, type: string): Promise<string | undefined> {
    const body = await this.session.request('create_incident', { type, originator_uri: originatorUri });
    return body?.incident_id as string | undefined;
  }

  /** Resolves an incident. */
  async resolveIncident(incidentId: string, reason: string): Promise<void> {
    await this.session.request('resolve_incident', { incident_id: incidentId, reason });
  }

  // ---- analytics ---------------------------------------------------------------------------

  /** Parameters merged under every {@link trackEvent}/{@link trackUserEvent}'s own. Async only because 2.4.0's is. */
  setDefaultAnalyticEventParameters(params: Record<string, unknown>): Promise<void> {
    this.defaultAnalyticEventParameters = params;
    return Promise.resolve();
  }

  /** Logs a text analytics event. */
  async logMessage(message: string, category = 'default'): Promise<void> {
    await this.session.request('log_analytics_event', { category, content_type: 'text/plain', content: message });
  }

  /** Logs a text analytics event about a device (its URN goes in `device_uri`). */
  async logUserMessage(message: string, target: string, category = 'default'): Promise<void> {
    await this.session.request('log_analytics_event', {
      device_uri: target,
      category,
      content_type: 'text/plain',
      content: message,
    });
  }

  /** Logs an analytics event with parameters (sent as `content`, an object, as 2.4.0 does). */
  async trackEvent(category: string, parameters?: Record<string, unknown>): Promise<void> {
    const content = { ...this.defaultAnalyticEventParameters, ...parameters };
    await this.session.request('log_analytics_event', { category, content_type: EVENT_PARAMETERS, content });
  }

  /** Logs an analytics event about a device (sent as `analytics_content`, as 2.4.0 does). */
  async trackUserEvent(category: string, target: string, parameters?: Record<string, unknown>): Promise<void> {
    const analytics_content = { ...this.defaultAnalyticEventParameters, ...parameters };
    await this.session.request('log_analytics_event', {
      device_uri: target,
      category,
      content_type: EVENT_PARAMETERS,
      analytics_content,
    });
  }

  // ---- workflow variables ------------------------------------------------------------------

  /** Sets a workflow variable; the value is sent as a string (see {@link toVarString}). */
  async setVar(name: string, value: unknown): Promise<void> {
    refuseReserved(name);
    await this.session.request('set_var', { name, value: toVarString(value) });
  }

  /** Sets several variables at once (`set({a: 1})`), or one (`set('a', 1)`). */
  async set(obj: Record<string, unknown> | string, value?: unknown): Promise<void> {
    if (typeof obj === 'object') await Promise.all(Object.entries(obj).map(([name, item]) => this.setVar(name, item)));
    else if (value !== undefined) await this.setVar(obj, value);
  }

  /** Removes a workflow variable. */
  async unsetVar(name: string): Promise<void> {
    refuseReserved(name);
    await this.session.request('unset_var', { name });
  }

  /** Removes one or several variables; resolves once every removal is confirmed. */
  async unset(names: string | string[]): Promise<void> {
    if (Array.isArray(names)) await Promise.all(names.map((name) => this.unsetVar(name)));
    else await this.unsetVar(names);
  }

  /**
   * Reads a workflow variable (registration args arrive this way); `defaultValue` when it is unset.
   * Rejects, sending nothing, for `workflow_secret`: that arg is the runtime's (WORKFLOW_SECRET).
   */
  async getVar(name: string, defaultValue?: string): Promise<string | undefined> {
    refuseReserved(name);
    const body = await this.session.request('get_var', { name });
    return body === undefined ? defaultValue : (body.value as string | undefined);
  }

  /** Reads a variable and maps it; undefined when unset and no default is given. */
  async getMappedVar<T>(name: string, mapper: Mapper<T>, defaultValue?: string): Promise<T | undefined> {
    const value = await this.getVar(name, defaultValue);
    return value === undefined ? undefined : mapper(value);
  }

  /** Reads a variable as a number. */
  async getNumberVar(name: string, defaultValue?: string): Promise<number | undefined> {
    return this.getMappedVar(name, Number, defaultValue);
  }

  /** Reads a comma-separated variable as strings. */
  async getArrayVar(name: string, defaultValue?: string): Promise<string[] | undefined> {
    return this.getMappedVar(name, arrayMapper, defaultValue);
  }

  /** Reads a comma-separated variable as numbers. */
  async getNumberArrayVar(name: string, defaultValue?: string): Promise<number[] | undefined> {
    return this.getMappedVar(name, numberArrayMapper, defaultValue);
  }

  /** Reads several variables in parallel, each through its mapper (`String` when none); or one variable. */
  get(names: string[], mappers?: Array<Mapper<VarValue>>): Promise<VarValue[]>;
  get(names: string): Promise<string | undefined>;
  async get(names: string | string[], mappers?: Array<Mapper<VarValue>>): Promise<VarValue | VarValue[]> {
    if (!Array.isArray(names)) return this.getVar(names);
    if (Array.isArray(mappers) && mappers.length !== names.length) {
      throw new Error('"get(names, mappers) array length are not equal');
    }
    return Promise.all(
      names.map(async (name, index) => {
        const value = await this.getVar(name);
        return value === undefined ? undefined : (mappers?.[index] ?? String)(value);
      }),
    );
  }

  // ---- end ---------------------------------------------------------------------------------

  /** Ends the workflow; resolves when the Relay server answers with `stop`. */
  async terminate(): Promise<void> {
    const stop = this.session.watch('wf_api_stop_event');
    try {
      await this.session.send({ _id: makeId(), _type: 'wf_api_terminate_request' });
    } catch (error) {
      stop.cancel();
      throw error;
    }
    await stop.until(() => true, Timeouts.EVENT_MS, `wf_api_${Event.STOP}_event`);
  }

  private async setDeviceInfo(target: string, field: string, value: string): Promise<void> {
    await this.targeted(target, 'set_device_info', { field, value });
  }

  private async targeted(target: Target, action: string, payload: object) {
    return this.session.request(action, payload, { target: makeTargetUris(target) });
  }
}

const EVENT_PARAMETERS = 'application/vnd.relay.event.parameters+json';

/** Throws for the reserved `workflow_secret` arg, which only the runtime's secret check reads. */
function refuseReserved(name: string): void {
  if (name === SECRET_ARG)
    throw new Error(
      `${SECRET_ARG} is reserved: the runtime reads it to check WORKFLOW_SECRET, and no workflow may read or change it (docs/security.md); give your arg another name`,
    );
}

/**
 * Subscribes `session` to `topic` on `bus`: each message's handler is queued with the session's
 * events, so it runs one at a time with them and under their error boundary. The subscription
 * ends when the session closes; a message arriving after that is not taken, and subscribing a
 * closed session does nothing.
 */
function subscribeSession<T>(
  session: Session,
  bus: SessionBus,
  topic: string,
  handler: (data: T) => unknown,
  { accept }: SubscribeOptions<T> = {},
): Unsubscribe {
  if (typeof handler !== 'function')
    throw new TypeError(
      `workflow.subscribe(${JSON.stringify(String(topic).slice(0, 60))}, handler) needs a handler function`,
    );
  const name = `bus ${topic}`;
  // A closed session would never run its close cleanups again: subscribing it would leak.
  if (!session.isOpen) return () => undefined;
  const stop = bus.subscribe(topic, (data, bytes) => {
    if (accept !== undefined && !accept(data)) {
      session.log.warn({ topic: topic.slice(0, 100), bytes }, 'dropped a bus message that failed its check');
      return false;
    }
    return session.enqueue(name, bytes, () => handler(data as T));
  });
  const cancel = session.onClose(stop);
  return () => {
    stop();
    cancel();
  };
}
