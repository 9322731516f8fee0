import type { SimulatedDevice } from './simulated-device';

/**
 * A device as Relay's `GET /relaypro/api/v1/device/<id>` returns it: the fields @relaypro/sdk
 * 2.4.0's `mapDevice` reads, filled from the simulated device.
 */
export function deviceRecord(device: SimulatedDevice, connectedAt: number): Record<string, unknown> {
  return {
    device_id: device.id,
    device_label: device.name,
    device_status: 'online',
    last_connect_timestamp: new Date(connectedAt).toISOString(),
    active_channel: 'main',
    mode: 'normal',
    background_audio: false,
    device_details: {
      device_info: { battery_level: device.battery, battery_status: 'discharging', product_name: device.type },
      location: {
        address: device.address,
        lat: device.latlong[0],
        long: device.latlong[1],
        indoor_location: device.indoorLocation,
      },
      username: device.username,
    },
  };
}
