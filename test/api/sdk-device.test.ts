import { mapDevice } from '@relaypro/sdk/dist/utils';
import { toSdkDevice } from '../../src/api/sdk-device';

/** A record as RelayApi hands it on: parsed from Relay's JSON text. */
const parsed = (json: string) => JSON.parse(json) as Record<string, unknown>;

describe("toSdkDevice: 2.4.0's mapping of Relay's device record", () => {
  it('gives 2.4.0 its fields for a record without details: no device_info fields, location null', () => {
    const record = parsed('{"device_label":"Desk","device_status":"offline","mode":"undefined"}');
    expect(toSdkDevice(record)).toEqual(mapDevice(record));
    expect(toSdkDevice(record)).toMatchObject({ name: 'Desk', status: 'offline', mode: null, location: null });
    expect(toSdkDevice(record)).not.toHaveProperty('battery_level');
  });

  it('does not throw on a device_info without network_status (2.4.0 throws a TypeError)', () => {
    const record = parsed('{"device_details":{"device_info":{"battery_level":12,"bluetooth_info":{"name":"B"}}}}');
    expect(() => mapDevice(record)).toThrow(TypeError);
    expect(toSdkDevice(record)).toMatchObject({ battery_level: 12, connection_type: undefined, bluetooth_name: 'B' });
  });

  it('reads own fields only: nothing inherited (a polluted prototype) is taken for a field', () => {
    const inherited = Object.create({ device_label: 'planted', device_details: { location: {} } }) as Record<
      string,
      unknown
    >;
    expect(toSdkDevice(inherited)).toMatchObject({ name: undefined, location: null });
  });

  it('keeps the record reachable as raw, not enumerable', () => {
    const record = parsed('{"device_label":"Desk","device_id":"99"}');
    const device = toSdkDevice(record);
    expect(device.raw).toBe(record);
    expect(Object.keys(device)).not.toContain('raw');
  });
});
