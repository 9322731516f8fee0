import { buildStartEvent, deviceUrn, interactionUrn } from '../../src/sim/wire';

/** The device the raw-frame tests play. */
export const DEVICE = deviceUrn("Ana's badge");

/** The start event of a phrase trigger from {@link DEVICE} (or `source`). */
export function startEvent(source = DEVICE) {
  return buildStartEvent('phrase', source);
}

/** The interaction URN the Relay server would send for an interaction `name` on `device`. */
export function interactionUri(name: string, device = DEVICE): string {
  return interactionUrn(name, device);
}
