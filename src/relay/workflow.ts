import { Event, Language } from './event';
import type { EventHandler, EventPayloads } from './event-types';
import type { Frame } from './frame';
import { makeId, type Session } from './session';
import { makeTargetUris, type Target } from './targets';
import { Timeouts } from './timeouts';
import { toVarString } from './to-var-string';

/** Options of {@link Workflow.startInteraction}, sent as given. */
export interface InteractionOptions {
  color?: string;
  input_types?: string[];
  home_channel?: 'suspend' | 'normal';
}

/** Options of {@link Workflow.listen}. */
export interface ListenOptions {
  /** Return text (true) or base64 audio (false). */
  transcribe?: boolean;
  alt_lang?: string;
  /** Seconds to wait for speech. */
  timeout?: number;
}

export type TranscriptionResult = { text: string; lang: string };
export type AudioResult = { audio: string };
export type ListenResult = TranscriptionResult | AudioResult;

/**
 * The API a workflow uses to talk to a device during one session: the same methods, argument
 * order, defaults and frames as `@relaypro/sdk` 2.4.0's `Workflow`. One instance per session;
 * the runtime builds it and hands it to the workflow function.
 *
 * @example
 * export default createWorkflow((workflow) => {
 *   workflow.on(Event.START, async ({ trigger }) => {
 *     await workflow.startInteraction([trigger.args.source_uri], 'hello')
 *   })
 * })
 */
export class Workflow {
  /** @internal Built by the runtime for each session. */
  constructor(private readonly session: Session) {}

  /** Sets the handler for an event; a later `on` for the same name replaces it. */
  on<K extends keyof EventPayloads>(name: K, handler: EventHandler<EventPayloads[K]>): void;
  on(name: string, handler: EventHandler<Record<string, unknown>>): void;
  on(name: string, handler: EventHandler<never>): void {
    this.session.dispatcher.on(name, handler);
  }

  /** Removes the handler for an event. */
  off(name: keyof EventPayloads | (string & {})): void {
    this.session.dispatcher.off(name);
  }

  /** Starts an interaction on devices; its URN arrives in `interaction_started`. */
  async startInteraction(target: Target, name: string, options?: InteractionOptions): Promise<void> {
    await this.targeted(target, 'start_interaction', { name, options });
  }

  /** Ends an interaction. `name` is optional: today's Relay docs pass the interaction URN alone. */
  async endInteraction(target: Target, name?: string): Promise<void> {
    await this.targeted(target, 'end_interaction', { name });
  }

  /** Speaks `text` on the device; resolves with the prompt id once the Relay server has it. */
  async say(target: Target, text: string, lang: string = Language.ENGLISH): Promise<string> {
    return this.prompt(target, 'say', { text, lang });
  }

  /** Speaks `text` and resolves with the prompt id once the device has finished saying it. */
  async sayAndWait(target: Target, text: string, lang: string = Language.ENGLISH): Promise<string> {
    return this.promptAndWait(target, 'say', { text, lang });
  }

  /** Plays an audio file (`relay-static://...` or a URL). */
  async play(target: Target, filename: string): Promise<string> {
    return this.prompt(target, 'play', { filename });
  }

  /** Plays an audio file and resolves once it has finished. */
  async playAndWait(target: Target, filename: string): Promise<string> {
    return this.promptAndWait(target, 'play', { filename });
  }

  /**
   * Listens for speech and resolves with what was heard. Waits for speech up to `timeout`
   * seconds (2.4.0 gave up after 32 s whatever the timeout).
   */
  listen(target: Target, phrases?: string[], options?: ListenOptions & { transcribe?: true }): Promise<TranscriptionResult>;
  listen(target: Target, phrases: string[], options: ListenOptions & { transcribe: false }): Promise<AudioResult>;
  listen(target: Target, phrases?: string[], options?: ListenOptions): Promise<ListenResult>;
  async listen(target: Target, phrases: string[] = [], options: ListenOptions = {}): Promise<ListenResult> {
    const { transcribe = true, alt_lang = Language.ENGLISH, timeout = 60 } = options;
    const id = makeId();
    const targetUris = makeTargetUris(target);
    const speech = this.session.watch('wf_api_speech_event');
    try {
      await this.session.request(
        'listen',
        { transcribe, phrases, timeout, alt_lang },
        { id, target: targetUris, timeoutMs: timeout * 1000 },
      );
    } catch (error) {
      speech.cancel();
      throw error;
    }
    const heard = await speech.until((frame) => frame.request_id === id, timeout * 1000, 'wf_api_speech_event');
    return transcribe ? { text: heard.text as string, lang: heard.lang as string } : { audio: heard.audio as string };
  }

  /** Reads a workflow variable (registration args arrive this way); `defaultValue` when it is unset. */
  async getVar(name: string, defaultValue?: string): Promise<string | undefined> {
    const body = await this.session.request('get_var', { name });
    return body === undefined ? defaultValue : (body.value as string | undefined);
  }

  /** Sets a workflow variable. The value is sent as a string (see {@link toVarString}). */
  async setVar(name: string, value: unknown): Promise<void> {
    await this.session.request('set_var', { name, value: toVarString(value) });
  }

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

  private async targeted(target: Target, action: string, payload: object, timeoutMs?: number) {
    return this.session.request(action, payload, { target: makeTargetUris(target), timeoutMs });
  }

  private async prompt(target: Target, action: 'say' | 'play', payload: object): Promise<string> {
    const id = makeId();
    const body = await this.session.request(action, payload, { id, target: makeTargetUris(target) });
    return promptId(body, id);
  }

  /** say/play, then the `prompt` `stopped` event with the response's id, watched from before the send. */
  private async promptAndWait(target: Target, action: 'say' | 'play', payload: object): Promise<string> {
    const id = makeId();
    const targetUris = makeTargetUris(target);
    const prompts = this.session.watch('wf_api_prompt_event');
    let promptIdValue: string;
    try {
      const body = await this.session.request(action, payload, { id, target: targetUris });
      promptIdValue = promptId(body, id);
    } catch (error) {
      prompts.cancel();
      throw error;
    }
    const isStopped = (frame: Frame) => frame.type === 'stopped' && frame.id === promptIdValue;
    await prompts.until(isStopped, Timeouts.EVENT_MS, `wf_api_prompt_event (stopped, id ${promptIdValue})`);
    return promptIdValue;
  }
}

/** The id a say/play response names; the request id when the response carries none (2.4.0 threw a TypeError). */
function promptId(body: Record<string, unknown> | undefined, requestId: string): string {
  return typeof body?.id === 'string' ? body.id : requestId;
}
