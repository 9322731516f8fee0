import { isRecord } from '../util';

/**
 * A device as `@relaypro/sdk` 2.4.0's `api.fetchDevice` returns it: Relay's record mapped to flat
 * fields (`name`, `status`, `battery_level`, ...) and a `location`. Fields and order are what 2.4.0
 * returns at run time (its own types say `device_status`; its code sets `status`). Values are
 * Relay's, passed on unchecked as in 2.4.0; a field Relay left out is undefined.
 *
 * `raw` is Relay's record as `RelayApi.fetchDevice` returns it. It is not enumerable, so keys,
 * spreading and JSON give 2.4.0's shape alone.
 */
export type SdkDevice = {
  name: string | undefined;
  last_connect_timestamp: string | undefined;
  active_channel: string | undefined;
  /** `online` or `offline`. */
  status: string | undefined;
  /** `emergency_sos`, `dnd`, Relay's other modes, or null. */
  mode: string | null | undefined;
  background_audio: boolean | undefined;
  /** The fields from here to `bluetooth_name` exist only when the record has `device_details.device_info`. */
  battery_level?: number;
  /** `charging` or `discharging`. */
  battery_status?: string;
  rom_version?: string;
  app_version?: string;
  /** The same as `app_version`. */
  apk_version?: string;
  build_id?: string;
  product_name?: string;
  model?: string;
  wifi_mac?: string;
  volume_level?: number;
  imei?: string;
  iccid?: string;
  fcc_id?: string;
  ic_id?: string;
  /** `cell` or `wifi`. */
  connection_type?: string;
  wifi_signal?: number;
  cell_signal?: number;
  /** `on` or `off`. */
  bluetooth_status?: string;
  bluetooth_address?: string;
  bluetooth_name?: string;
  location: SdkDeviceLocation | null;
  features: Record<string, unknown> | undefined;
  capabilities: Record<string, unknown> | undefined;
  groups: Array<{ group_id: string; name: string }> | undefined;
  channels: Array<Record<string, unknown>> | undefined;
  emergency_info: unknown;
  active_incidents: unknown;
  /** Relay's record, unmapped (not enumerable). */
  readonly raw: Readonly<Record<string, unknown>>;
};

/** 2.4.0's `location` of a mapped device. */
export type SdkDeviceLocation = {
  lat: number | undefined;
  long: number | undefined;
  accuracy: number | undefined;
  address: string | null;
  indoor_position: unknown;
  /** The location's time as `Date#toUTCString` gives it ("Invalid Date" when Relay sent none), as in 2.4.0. */
  date: string;
  /** `inside`, `outside` or null. */
  geofence_state: string | null;
  /** Relay's value, or `[]` when it has none (2.4.0's default, although its type says null). */
  geofence_id: string | never[];
  geofence_events: Array<{ timestamp_z: string; type: string; geofence_id: string; label: string }>;
};

/**
 * Maps Relay's device record (`GET /relaypro/api/v1/device/<id>`) as 2.4.0's `mapDevice` does,
 * reading own fields only. Unlike 2.4.0 it does not throw on a `device_info` without
 * `network_status`: the three fields read from it are undefined then.
 */
export function toSdkDevice(record: Readonly<Record<string, unknown>>): SdkDevice {
  const details = recordAt(record, 'device_details');
  const info = details && recordAt(details, 'device_info');
  const location = details && recordAt(details, 'location');
  const mode = own(record, 'mode');
  const device = {
    name: own(record, 'device_label'),
    last_connect_timestamp: own(record, 'last_connect_timestamp'),
    active_channel: own(record, 'active_channel'),
    status: own(record, 'device_status'),
    mode: mode === 'undefined' ? null : mode,
    background_audio: own(record, 'background_audio'),
    ...(info && deviceInfo(info)),
    location: location ? deviceLocation(location) : null,
    features: own(record, 'features'),
    capabilities: own(record, 'capabilities'),
    groups: own(record, 'groups'),
    channels: own(record, 'channels'),
    emergency_info: own(record, 'emergency_info'),
    active_incidents: own(record, 'active_incidents'),
  } as SdkDevice;
  Object.defineProperty(device, 'raw', { value: record, enumerable: false });
  return device;
}

function deviceInfo(info: Readonly<Record<string, unknown>>): Partial<SdkDevice> {
  const network = recordAt(info, 'network_status');
  const bluetooth = recordAt(info, 'bluetooth_info');
  return {
    battery_level: own(info, 'battery_level'),
    battery_status: own(info, 'battery_status'),
    rom_version: own(info, 'rom_version'),
    app_version: own(info, 'app_version'),
    apk_version: own(info, 'app_version'),
    build_id: own(info, 'build_id'),
    product_name: own(info, 'product_name'),
    model: own(info, 'model'),
    wifi_mac: own(info, 'wifi_mac'),
    volume_level: own(info, 'volume_level'),
    imei: own(info, 'imei'),
    iccid: own(info, 'iccid'),
    fcc_id: own(info, 'fcc_id'),
    ic_id: own(info, 'ic_id'),
    connection_type: network && own(network, 'connection_type'),
    wifi_signal: network && own(network, 'wifi_bars'),
    cell_signal: network && own(network, 'cell_bars'),
    bluetooth_status: own(info, 'bluetooth_status'),
    bluetooth_address: bluetooth && own(bluetooth, 'address'),
    bluetooth_name: bluetooth && own(bluetooth, 'name'),
  };
}

function deviceLocation(location: Readonly<Record<string, unknown>>): SdkDeviceLocation {
  const timestamp = own(location, 'timestamp');
  return {
    lat: own(location, 'lat'),
    long: own(location, 'long'),
    accuracy: own(location, 'accuracy'),
    address: own<string>(location, 'address') || null,
    indoor_position: own(location, 'indoor_position'),
    // Relay's timestamp has no zone; it is UTC.
    date: new Date(Date.parse(`${String(timestamp)}Z`)).toUTCString(),
    geofence_state: own(location, 'geofence_state') ?? null,
    geofence_id: own(location, 'geofence_id') ?? [],
    geofence_events: own(location, 'geofence_events') ?? [],
  };
}

/** The record's own field (never one inherited from Object.prototype), typed as 2.4.0 declares it. */
function own<T>(record: Readonly<Record<string, unknown>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? (record[key] as T) : undefined;
}

function recordAt(
  record: Readonly<Record<string, unknown>>,
  key: string,
): Readonly<Record<string, unknown>> | undefined {
  const value = own(record, key);
  return isRecord(value) ? value : undefined;
}
