import { RelayApi, type RelayApiOptions } from '../../src';
import { RelayCloud, type RelayCloudOptions } from '../../src/testing';
import { memoryLogger } from '../helpers/memory-logger';

/** A simulated cloud, and a RelayApi pointed at it whose waits between attempts are recorded, not slept. */
export interface CloudClient {
  cloud: RelayCloud;
  api: RelayApi;
  /** Each wait between attempts the client asked for, in ms. */
  delays: number[];
  logs: ReturnType<typeof memoryLogger>;
  /** A second client on the same cloud, with other options. */
  client(options?: Partial<RelayApiOptions>): RelayApi;
}

export async function startCloudClient(
  cloudOptions: RelayCloudOptions = {},
  apiOptions: Partial<RelayApiOptions> = {},
): Promise<CloudClient> {
  const cloud = await RelayCloud.start(cloudOptions);
  const delays: number[] = [];
  const logs = memoryLogger('debug');
  const client = (options: Partial<RelayApiOptions> = {}) =>
    new RelayApi({
      ...cloud.clientOptions,
      logger: logs.logger,
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
      ...apiOptions,
      ...options,
    });
  return { cloud, api: client(), delays, logs, client };
}

/** The rejection of `promise`, which must reject. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, and it resolved');
}
