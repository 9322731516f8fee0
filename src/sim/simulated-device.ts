/**
 * The device the simulator plays: what `get_device_info` answers and what `set_device_info`
 * changes. Every field has a realistic default, so a workflow can query anything.
 */
export interface SimulatedDevice {
  /** The device's label; its URN is `urn:relay-resource:name:device:<name>`. */
  name: string;
  /** The device id (IMEI-like). */
  id: string;
  /** Battery level in percent. */
  battery: number;
  /** Street address (`getDeviceLocation` / `getDeviceAddress`). */
  address: string;
  /** `[latitude, longitude]`. Keep fractional values: 2.4.0 turns an all-integer array into a string. */
  latlong: [number, number];
  indoorLocation: string;
  /** Device type, as the Relay server reports it. */
  type: string;
  locationEnabled: boolean;
  /** The user profile signed in on the device. */
  username: string;
}

export const DEFAULT_DEVICE: Readonly<SimulatedDevice> = Object.freeze<SimulatedDevice>({
  name: 'Sim',
  id: '990007560012345',
  battery: 87,
  address: '1 Fayetteville St, Raleigh, NC 27601, USA',
  latlong: [35.7796, -78.6382],
  indoorLocation: 'Front desk',
  type: 'relay2',
  locationEnabled: true,
  username: 'sim-user',
});

/** The value a `get_device_info` query reads, keyed as on the wire; undefined for an unknown query. */
export function deviceInfo(device: SimulatedDevice, query: string): unknown {
  const byQuery: Record<string, unknown> = {
    name: device.name,
    id: device.id,
    battery: device.battery,
    address: device.address,
    latlong: device.latlong,
    indoor_location: device.indoorLocation,
    type: device.type,
    location_enabled: device.locationEnabled,
    username: device.username,
  };
  return byQuery[query];
}

/** Applies a `set_device_info` field to the device; returns the device log line. */
export function applyDeviceField(device: SimulatedDevice, field: string, value: unknown): string {
  if (field === 'label') {
    device.name = String(value);
    return `renamed to ${device.name}`;
  }
  if (field === 'location_enabled') {
    // 2.4.0 sends the strings "true" / "false".
    device.locationEnabled = String(value) === 'true';
    return `location ${device.locationEnabled ? 'enabled' : 'disabled'}`;
  }
  return `${field} set to ${String(value)}`;
}
