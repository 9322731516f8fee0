import { RelayError, RelayErrorCode } from './errors';

/** A device, group or interaction URN, or several. */
export type Target = string | string[];

/** `urn:relay-resource:<id_type>:<resource_type>:<id>`, the test the SDK's `isRelayUri` makes. */
export function isRelayUri(value: unknown): value is string {
  if (typeof value !== 'string' || !value.startsWith('urn:relay-resource')) return false;
  // At least three colons, i.e. the SDK's `split(':').length > 3`, without building the array.
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

/**
 * Builders and parsers for Relay URNs (`urn:relay-resource:<id_type>:<resource_type>:<id>`),
 * with the names and results of the SDK's `Uri`, plus `interactionName` and
 * `parseInteractionName`. Parsers percent-decode the id and `isInteractionUri` answers a boolean;
 * docs/sdk-differences.md lists where this differs from the SDK.
 *
 * @example
 * Uri.deviceName('Jim Bob')                    // 'urn:relay-resource:name:device:Jim%20Bob'
 * Uri.parseDeviceName(event.source_uri)        // 'Jim Bob', also from an interaction URN
 * Uri.isInteractionUri(event.source_uri)       // true for interaction_started's source_uri
 */
export const Uri = {
  deviceName: (name: string): string => construct('device', 'name', name),
  deviceId: (id: string): string => construct('device', 'id', id),
  groupName: (name: string): string => construct('group', 'name', name),
  groupId: (id: string): string => construct('group', 'id', id),
  /** The URN `isGroupMember` asks about: the group by name, with the device's name URN as `device`. */
  groupMember: (group: string, device: string): string =>
    construct('group', 'name', group, { device: Uri.deviceName(device) }),
  /** An interaction by name, as targets for `endInteraction` and friends. */
  interactionName: (name: string): string => construct('interaction', 'name', name),
  allDevicesWithStatus(interactionName: string, status: string): string {
    if (!status) throw new Error('invalid_status');
    return construct('interaction', 'name', interactionName, { status });
  },
  allDevices: (): string => 'urn:relay-resource:all:device',
  genericOriginator: (): string => construct('server', 'name', 'ibot'),

  /** The device name in a device URN, or in an interaction URN's `device` parameter; decoded. */
  parseDeviceName: (uri: string): string => idOfType(parseDevice(uri), 'name'),
  /** The device id in a device URN, or in an interaction URN's `device` parameter; decoded. */
  parseDeviceId: (uri: string): string => idOfType(parseDevice(uri), 'id'),
  parseGroupName: (uri: string): string => idOfType(parseOfKind(uri, 'group'), 'name'),
  parseGroupId: (uri: string): string => idOfType(parseOfKind(uri, 'group'), 'id'),
  /** The interaction name in an interaction URN; decoded. */
  parseInteractionName: (uri: string): string => idOfType(parseOfKind(uri, 'interaction'), 'name'),

  isRelayUri,
  /** True for `urn:relay-resource:name:interaction:...` URNs. */
  isInteractionUri: (uri: unknown): boolean =>
    typeof uri === 'string' && uri.startsWith('urn:relay-resource:name:interaction') && uri.split(':').length > 3,
  /** Throws `invalid-target-uris` unless every element is a relay URN; true otherwise. */
  assertTargets(targets: unknown): true {
    if (!Array.isArray(targets))
      throw new RelayError(RelayErrorCode.INVALID_TARGET, `${RelayErrorCode.INVALID_TARGET}: expected a list of URNs`);
    makeTargetUris(targets as string[]);
    return true;
  },
  makeTargetUris,
} as const;

type ResourceType = 'device' | 'group' | 'interaction' | 'server';
type IdType = 'name' | 'id' | 'all';

interface ParsedUrn {
  resourceType: string;
  idType: string;
  /** Percent-decoded. */
  id: string;
  params: URLSearchParams;
}

function construct(resourceType: ResourceType, idType: IdType, id: string, filter?: Record<string, string>): string {
  if (!id) throw new Error('invalid_relay_uri_id_or_name');
  const uri = `urn:relay-resource:${idType}:${resourceType}:${encodeURIComponent(id)}`;
  const params = filter === undefined ? '' : new URLSearchParams(filter).toString();
  return params === '' ? uri : `${uri}?${params}`;
}

function parse(uri: string): ParsedUrn {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new Error('invalid_relay_uri');
  }
  const [root, idType, resourceType, rawId] = url.pathname.split(':');
  if (url.protocol !== 'urn:' || root !== 'relay-resource' || !idType || !resourceType || !rawId) {
    throw new Error('invalid_relay_uri');
  }
  return { resourceType, idType, id: decode(rawId), params: url.searchParams };
}

function decode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new Error('invalid_relay_uri: malformed percent-encoding');
  }
}

function parseOfKind(uri: string, kind: ResourceType): ParsedUrn {
  const parsed = parse(uri);
  if (parsed.resourceType !== kind) throw new Error('invalid_relay_uri');
  return parsed;
}

/** A device URN, or the device an interaction URN names in its `device` parameter. */
function parseDevice(uri: string): ParsedUrn {
  const parsed = parse(uri);
  if (parsed.resourceType === 'device') return parsed;
  const device = parsed.params.get('device');
  if (parsed.resourceType !== 'interaction' || !device) throw new Error('invalid_relay_uri');
  return parseOfKind(device, 'device');
}

function idOfType(parsed: ParsedUrn, idType: 'name' | 'id'): string {
  if (parsed.idType !== idType) throw new Error(`invalid_relay_uri: ${idType} not provided`);
  return parsed.id;
}
