import { Uri } from '../relay/uri';

/**
 * URN helpers for the simulated Relay server (protocol doc section 5): what the server side needs
 * beyond the workflow's `Uri` (the interaction URN it sends in `source_uri`, and lenient parsers
 * that accept the double-encoded names 2.4.0's `isGroupMember` sends).
 */

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
