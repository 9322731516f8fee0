import { Language } from './event';
import { makeId, type Session } from './session';
import { makeTargetUris, type Target } from './targets';

/** Options of `listen`, with 2.4.0's defaults. */
export interface ListenOptions {
  /** Return text (true, the default) or base64 audio (false). */
  transcribe?: boolean;
  /** The language to recognise besides the device's own; `en-US` by default. */
  alt_lang?: string;
  /** Seconds to wait for speech; 60 by default. */
  timeout?: number;
}

export type TranscriptionResult = { text: string; lang: string };
export type AudioResult = { audio: string };
export type ListenResult = TranscriptionResult | AudioResult;

/**
 * Sends `wf_api_listen_request` and resolves with the `speech` event whose `request_id` is the
 * request's `_id`. Both the response and the speech get `timeout` seconds (2.4.0 gave speech 32 s
 * whatever the timeout), and the speech watch starts before the request is sent.
 */
export async function listenFor(
  session: Session,
  target: Target,
  phrases: string[],
  options: ListenOptions,
): Promise<ListenResult> {
  const { transcribe = true, alt_lang = Language.ENGLISH, timeout = 60 } = options;
  const id = makeId();
  const targetUris = makeTargetUris(target);
  const speech = session.watch('wf_api_speech_event');
  try {
    await session.request(
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
