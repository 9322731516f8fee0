import { RELAY_LIMITS } from '../api/relay-api';
import { parseJson } from '../api/errors';

/** A valid HTTP trigger body: `{action: "invoke", action_args?, target_device_ids?}`. */
export interface TriggerBody {
  actionArgs: Record<string, string> | undefined;
  targetDeviceIds: string[] | undefined;
}

const { maxArgs: MAX_ARGS, maxTargets: MAX_TARGETS, maxIdChars: MAX_ID_CHARS } = RELAY_LIMITS;

/**
 * Checks an HTTP trigger body the way the Relay API is documented to take it; returns the problem
 * (for a 400 answer) as a string. `action_args` comes back as a null-prototype object.
 */
export function parseTriggerBody(text: string): TriggerBody | string {
  const body = parseJson(text);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be a JSON object';
  const fields = new Map<string, unknown>(Object.entries(body));
  if (fields.get('action') !== 'invoke') return 'action must be "invoke"';
  const args = fields.get('action_args');
  const targets = fields.get('target_device_ids');
  let actionArgs: Record<string, string> | undefined;
  if (args !== undefined) {
    if (typeof args !== 'object' || args === null || Array.isArray(args)) return 'action_args must be an object';
    const entries = Object.entries(args);
    if (entries.length > MAX_ARGS) return `action_args may have at most ${MAX_ARGS} keys`;
    if (!entries.every(([, value]) => typeof value === 'string')) return 'action_args values must be strings';
    actionArgs = Object.assign(Object.create(null) as Record<string, string>, Object.fromEntries(entries));
  }
  if (targets !== undefined) {
    if (!Array.isArray(targets) || targets.length === 0 || targets.length > MAX_TARGETS)
      return `target_device_ids must be an array of 1 to ${MAX_TARGETS} device ids`;
    if (!targets.every((id) => typeof id === 'string' && id !== '' && id.length <= MAX_ID_CHARS))
      return 'target_device_ids must hold non-empty strings';
  }
  return { actionArgs, targetDeviceIds: targets as string[] | undefined };
}
