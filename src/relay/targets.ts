import { RelayError, RelayErrorCode } from './errors';

/** A device, group or interaction URN, or several. */
export type Target = string | string[];

/** `urn:relay-resource:<id_type>:<resource_type>:<id>`, the test 2.4.0's `isRelayUri` makes. */
export function isRelayUri(value: unknown): value is string {
  if (typeof value !== 'string' || !value.startsWith('urn:relay-resource')) return false;
  // At least three colons, i.e. 2.4.0's `split(':').length > 3`, without building the array.
  let colons = 0;
  for (let at = value.indexOf(':'); at !== -1 && colons < 3; at = value.indexOf(':', at + 1)) colons += 1;
  return colons === 3;
}

/**
 * The `_target` of a request. Rejects anything that is not a relay URN before a frame is sent,
 * naming the bad value and what a target looks like.
 */
export function makeTargetUris(target: Target): { uris: string[] } {
  const uris = Array.isArray(target) ? target : [target];
  // findIndex, not find: an undefined element is itself the bad value.
  const badIndex = uris.findIndex((uri) => !isRelayUri(uri));
  if (uris.length === 0 || badIndex !== -1) {
    const bad: unknown = uris[badIndex];
    const got = uris.length === 0 ? 'an empty list' : bad === undefined ? 'undefined' : JSON.stringify(bad);
    throw new RelayError(
      RelayErrorCode.INVALID_TARGET,
      `${RelayErrorCode.INVALID_TARGET}: a target must be a urn:relay-resource: URN ` +
        `(the source_uri of an event, or one built with Uri), got ${got}`,
    );
  }
  return { uris };
}
