import { isRecord } from '../util';
import { deviceOfUrn, deviceUrn, nameInUrn } from './wire';

/**
 * The simulated devices: the one the simulator plays (what `get_device_info` reads and
 * `set_device_info` changes), the groups of the simulated account, and the records of what the
 * workflow made the devices do.
 */

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

const COLOR_NAMES: Record<string, string> = {
  ff0000: 'red',
  '00ff00': 'green',
  '0000ff': 'blue',
  ffff00: 'yellow',
  ffffff: 'white',
  ff00ff: 'magenta',
  '00ffff': 'cyan',
  ffa500: 'orange',
  '800080': 'purple',
  '000000': 'black',
};

/** `ff0000` → `red`; colours without a common name stay as `#hex`. */
function colorName(hex: unknown): string {
  const key = String(hex).replace(/^#/, '').toLowerCase();
  return COLOR_NAMES[key] ?? `#${key}`;
}

/**
 * What a person would see for a `set_led` request: `LED ring flashing red`, `LED 3 solid green`,
 * `LEDs off`.
 *
 * @example
 * describeLed('flash', { count: -1, colors: { ring: 'ff0000' } }) // 'LED ring flashing red'
 */
export function describeLed(effect: unknown, args: unknown): string {
  const colors = (isRecord(args) ? (args.colors as Record<string, unknown> | undefined) : undefined) ?? {};
  const leds = Object.entries(colors).map(([led, color]) => ({
    led: led === 'ring' ? 'LED ring' : `LED ${led}`,
    color: colorName(color),
  }));
  const each = (verb: string) =>
    leds.length > 0 ? leds.map(({ led, color }) => `${led} ${verb} ${color}`).join(', ') : `LED ring ${verb}`;
  switch (effect) {
    case 'off':
      return 'LEDs off';
    case 'static':
      return each('solid');
    case 'flash':
      return each('flashing');
    case 'breathe':
      return each('breathing');
    case 'rotate':
      return `LED ring rotating ${leds.map(({ color }) => color).join('/') || 'white'}`;
    case 'rainbow':
      return 'LED ring rainbow';
    default:
      return `LED effect ${String(effect)}`;
  }
}

/**
 * The simulated account's groups: resolves group URNs to member device URNs and answers
 * `group_query` requests the way the Relay server does.
 */
export class GroupDirectory {
  constructor(private readonly groups: Readonly<Record<string, readonly string[]>> = {}) {}

  /** Device URNs of a group's members (empty for an unknown group). */
  members(groupUri: string): string[] {
    return this.namesIn(nameInUrn(groupUri, 'group')).map(deviceUrn);
  }

  /** The member names of a group; the name comes from the workflow, so `constructor` finds nothing. */
  private namesIn(group: string | undefined): readonly string[] {
    return group !== undefined && Object.hasOwn(this.groups, group) ? (this.groups[group] ?? []) : [];
  }

  /** Devices a target list reaches: groups expanded, devices kept, duplicates dropped. */
  devicesOf(targets: readonly string[]): string[] {
    const devices = targets.flatMap((target) =>
      nameInUrn(target, 'group') === undefined ? [deviceOfUrn(target) ?? target] : this.members(target),
    );
    return [...new Set(devices)];
  }

  /** The body of a `wf_api_group_query_response`. */
  answer(query: unknown, groupUri: string): Record<string, unknown> {
    if (query === 'is_member') {
      const device = deviceOfUrn(groupUri);
      const name = device === undefined ? undefined : nameInUrn(device, 'device');
      const groupName = nameInUrn(groupUri, 'group');
      return { is_member: name !== undefined && this.namesIn(groupName).includes(name) };
    }
    return { member_uris: this.members(groupUri) };
  }
}

/** A `set_led` request. */
export interface LedChange {
  effect: string;
  args: Record<string, unknown>;
  /** As the device log shows it, e.g. `LED ring flashing red`. */
  description: string;
  target: string[];
}

/** A `vibrate` request. */
export interface Vibration {
  pattern: number[];
  target: string[];
}

/** A `notification` request (broadcast, alert, notify or cancel). */
export interface SentNotification {
  type: string;
  name: string;
  text?: string;
  originator?: string;
  target: string[];
  /** URNs of the simulated devices that acknowledged it. */
  acknowledgedBy: string[];
}

/** An interaction the workflow started on the simulated device. */
export interface SimInteraction {
  name: string;
  uri: string;
  ended: boolean;
}

/** A button press the simulator sent. */
export interface ButtonPress {
  button: 'action' | 'channel';
  taps: 'single' | 'double' | 'triple' | 'long';
  interaction: string;
}
