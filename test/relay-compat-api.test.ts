import './helpers/silence-relay-logs';
import { RelayApi, RelayCompatApi, relay, type RelayApp } from '../src';
import { RelayCloud } from '../src/testing';
import { DEFAULT_DEVICE } from '../src/sim/device';
// 2.4.0's own mapping, as the reference for the shape its fetchDevice returns.
import { mapDevice } from '@relaypro/sdk/dist/utils';

const DEVICE = DEFAULT_DEVICE.id;

/** relay()'s `api`, pointed at the simulated cloud as an app's settings would point it at Relay. */
function relayAppOn(cloud: RelayCloud): RelayApp<RelayCompatApi> {
  const saved = { ...process.env };
  Object.assign(process.env, { RELAY_API_URL: cloud.url, RELAY_AUTH_URL: cloud.url, RELAY_CLIENT_ID: cloud.clientId });
  try {
    return relay({ port: 0, subscriberId: cloud.subscriberId, apiKey: cloud.apiKey });
  } finally {
    process.env = saved;
  }
}

describe("relay().api: 2.4.0's client calls, against the simulated cloud", () => {
  let cloud: RelayCloud;
  let app: RelayApp<RelayCompatApi>;

  beforeEach(async () => {
    cloud = await RelayCloud.start();
    app = relayAppOn(cloud);
  });

  afterEach(async () => {
    await app.close(0);
    await cloud.close();
  });

  it("fetchDevice returns 2.4.0's mapped device: name, status, battery, location...", async () => {
    const device = await app.api.fetchDevice(DEVICE);
    expect(device).toMatchObject({
      name: DEFAULT_DEVICE.name,
      status: 'online',
      battery_level: DEFAULT_DEVICE.battery,
      product_name: DEFAULT_DEVICE.type,
      connection_type: 'wifi',
      location: { lat: DEFAULT_DEVICE.latlong[0], long: DEFAULT_DEVICE.latlong[1], address: DEFAULT_DEVICE.address },
    });
  });

  it("has exactly the fields and values 2.4.0's mapDevice gives for Relay's record, which is its raw", async () => {
    const device = await app.api.fetchDevice(DEVICE);
    expect(device.raw).toMatchObject({ device_id: DEVICE, device_label: DEFAULT_DEVICE.name });
    const reference = mapDevice({ ...device.raw });
    expect(device).toEqual(reference);
    expect(Object.keys(device)).toEqual(Object.keys(reference));
    // raw is not enumerable: keys, spreading and JSON give 2.4.0's shape alone.
    expect(JSON.parse(JSON.stringify(device))).toEqual(JSON.parse(JSON.stringify(reference)));
    expect({ ...device }).not.toHaveProperty('raw');
  });

  it("is a RelayApi; RelayApi's own fetchDevice still returns Relay's record as is", async () => {
    expect(app.api).toBeInstanceOf(RelayCompatApi);
    expect(app.api).toBeInstanceOf(RelayApi);
    await expect(new RelayApi(cloud.clientOptions).fetchDevice(DEVICE)).resolves.toMatchObject({ device_label: 'Sim' });
  });
});
