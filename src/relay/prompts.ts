import type { Frame } from './frame';
import { makeId, type Session } from './session';
import { makeTargetUris, type Target } from './targets';
import { Timeouts } from './timeouts';

export type PromptAction = 'say' | 'play';

/**
 * Sends say/play and resolves with the prompt id the response names. A response without `id`
 * resolves with the request id, which is what the Relay server puts there (2.4.0 threw a
 * TypeError on such a response).
 */
export async function sendPrompt(
  session: Session,
  target: Target,
  action: PromptAction,
  payload: object,
): Promise<string> {
  const id = makeId();
  const body = await session.request(action, payload, { id, target: makeTargetUris(target) });
  return promptId(body, id);
}

/**
 * say/play, then waits for the `prompt` event with type `stopped` and the response's id. The
 * watch starts before the request is sent, so a `stopped` arriving in the same read as the
 * response is not lost (2.4.0 lost it and failed after 32 s).
 */
export async function sendPromptAndWait(
  session: Session,
  target: Target,
  action: PromptAction,
  payload: object,
): Promise<string> {
  const id = makeId();
  const targetUris = makeTargetUris(target);
  const prompts = session.watch('wf_api_prompt_event');
  let prompt: string;
  try {
    prompt = promptId(await session.request(action, payload, { id, target: targetUris }), id);
  } catch (error) {
    prompts.cancel();
    throw error;
  }
  const isStopped = (frame: Frame) => frame.type === 'stopped' && frame.id === prompt;
  await prompts.until(isStopped, Timeouts.EVENT_MS, `wf_api_prompt_event (stopped, id ${prompt})`);
  return prompt;
}

function promptId(body: Record<string, unknown> | undefined, requestId: string): string {
  return typeof body?.id === 'string' ? body.id : requestId;
}
