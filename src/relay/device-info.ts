import type { Session } from './session';
import { makeTargetUris, type Target } from './targets';
import { Timeouts } from './timeouts';

/** What `wf_api_get_device_info_request` can ask for; the response carries the answer under the same key. */
export const DeviceInfoQuery = {
  NAME: 'name',
  ID: 'id',
  TYPE: 'type',
  ADDRESS: 'address',
  COORDINATES: 'latlong',
  BATTERY: 'battery',
  INDOOR_LOCATION: 'indoor_location',
  LOCATION: 'location',
  USERNAME: 'username',
  LOCATION_ENABLED: 'location_enabled',
} as const;

export type DeviceInfoQuery = (typeof DeviceInfoQuery)[keyof typeof DeviceInfoQuery];

/** What `wf_api_set_device_info_request` can set. */
export const DeviceInfoField = {
  LABEL: 'label',
  CHANNEL: 'channel',
  LOCATION_ENABLED: 'location_enabled',
} as const;

export type DeviceInfoField = (typeof DeviceInfoField)[keyof typeof DeviceInfoField];

/** Device kinds `getDeviceType` reports. */
export type DeviceType = 'relay' | 'relay2' | 'relay_app' | 'roip' | 'dash';

/**
 * Asks for one device field and returns the response's value under the query's key; undefined
 * when the response lacks it (2.4.0 threw a TypeError on an empty response). A refreshed answer
 * needs the device to report in, so it gets 45 s instead of 5 s, as in 2.4.0.
 */
export async function readDeviceInfo<T>(
  session: Session,
  target: Target,
  query: DeviceInfoQuery,
  refresh = false,
): Promise<T | undefined> {
  const timeoutMs = refresh ? Timeouts.REFRESH_MS : Timeouts.RESPONSE_MS;
  const body = await session.request(
    'get_device_info',
    { query, refresh },
    { target: makeTargetUris(target), timeoutMs },
  );
  return body?.[query] as T | undefined;
}
