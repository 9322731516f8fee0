import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { loadConfig, type Config } from './config';
import { buildWorkflowServer, type WorkflowServer } from './create-workflow-server';
import { RelayApi, type RelayCallOptions } from './api/relay-api';
import { toSdkDevice, type SdkDevice } from './api/sdk-device';
import { createLogger, type Logger } from './logger';
import { assertSupportedNode } from './node-support';
import { WorkflowRegistry, type WorkflowHandler } from './relay/workflow-registry';

/** `relay()`'s options: 2.4.0's (`server`, `subscriberId`, `apiKey`), plus `port`. */
export interface RelayOptions {
  /** An HTTP(S) server you own (an express app's): workflows are mounted on it and you call its `listen`. */
  server?: Server | HttpsServer;
  /**
   * Without `server`: the port to listen on when PORT is unset (then 8080, as in 2.4.0); PORT, when
   * set, always wins, so a dyno binds the port Heroku gave it. 0 picks a free port.
   */
  port?: number;
  /** Relay HTTP API credentials, as in 2.4.0 (for `api`); RELAY_SUBSCRIBER_ID and RELAY_API_KEY when omitted. */
  subscriberId?: string;
  apiKey?: string;
}

/** What the runtime hands the API client factory. */
export interface RelayApiFactoryOptions {
  subscriberId: string | undefined;
  apiKey: string | undefined;
  logger: Logger;
  config: Config;
}

/** What `relay()` returns: 2.4.0's `{ workflow, api }`, plus what 2.4.0 lacked to stop or test it. */
export interface RelayApp<Api> {
  /**
   * `workflow('hello', fn)` (or `'/hello'`) serves `fn` at `/hello`; `workflow(fn)` makes `fn` the
   * default workflow, served at `/` (the status page still answers plain GETs there).
   */
  workflow(path: string | WorkflowHandler, workflow?: WorkflowHandler): void;
  /** The Relay HTTP API client. */
  api: Api;
  /** Resolves with the bound address once listening; with `server`, at once with undefined. */
  listening: Promise<AddressInfo | undefined>;
  /** Drains sessions and stops (or, with `server`, detaches from it). */
  close(graceMs?: number): Promise<void>;
  /** The workflow server underneath. */
  server: WorkflowServer;
}

/**
 * Makes the 2.4.0-compatible `relay` entry around an API client factory (the package's `relay`
 * is made with the real client; tests may pass their own).
 */
export function createRelayEntry<Api>(createApi: (options: RelayApiFactoryOptions) => Api) {
  /**
   * `@relaypro/sdk` 2.4.0's entry, on this runtime: an app written for 2.4.0 moves over by changing
   * its import line. Without `server` it listens at once on PORT, else `port`, else 8080; with one, it
   * takes only the upgrades to its workflows' paths and leaves every other request to your server.
   * Unlike 2.4.0 it may be called more than once per process, and it reads settings (LOG_LEVEL,
   * WORKFLOW_TOKEN, ...) with `loadConfig`. On a Node older than 22.1 it throws a NodeVersionError.
   *
   * @example
   * import { relay, createWorkflow, Event } from 'relay-heroku-workflows' // was '@relaypro/sdk'
   * const app = express()
   * const server = http.createServer(app)
   * const relayApp = relay({ server })
   * relayApp.workflow('hello', createWorkflow((workflow) => { workflow.on(Event.START, ...) }))
   * server.listen(3000)
   */
  return function relay(options: RelayOptions = {}): RelayApp<Api> {
    assertSupportedNode();
    const config = loadConfig(undefined, { port: portOption(options.port) });
    const logger = createLogger({ level: config.logLevel, logPrivateData: config.logPrivateData });
    const registry = new WorkflowRegistry();
    const server = buildWorkflowServer(registry, { config, logger, server: options.server });
    const listening =
      options.server === undefined ? server.listen(config.port, config.host) : Promise.resolve(undefined);
    // 2.4.0 code never awaits this: a failed listen is logged rather than left unhandled.
    listening.catch((err: unknown) => logger.error({ err }, 'relay() could not listen'));
    return {
      workflow(path, workflow) {
        if (typeof path === 'function') registry.addDefault(path);
        else if (typeof path === 'string' && typeof workflow === 'function') server.workflow(path, workflow);
        else
          throw new TypeError(
            "workflow() takes a name and a function, workflow('hello', fn), or one function for the default workflow at /",
          );
      },
      api: createApi({ subscriberId: options.subscriberId, apiKey: options.apiKey, logger, config }),
      listening,
      close: (graceMs) => server.close(graceMs),
      server,
    };
  };
}

/** `relay({ port })` as a number; a string of digits (an app passing its PORT variable on) is taken too. */
function portOption(port: unknown): number | undefined {
  if (port === undefined) return undefined;
  const value = typeof port === 'string' && /^\d{1,5}$/.test(port) ? Number(port) : port;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65_535)
    throw new TypeError(
      `relay({ port }) takes an integer from 0 to 65535 (0 picks a free port), got ${JSON.stringify(port)?.slice(0, 40)}`,
    );
  return value;
}

/**
 * The `api` of `relay()`: this project's {@link RelayApi}, whose calls return what 2.4.0's return.
 * Only `fetchDevice` differs from RelayApi's: 2.4.0 mapped Relay's record, RelayApi returns it as is.
 */
export class RelayCompatApi extends RelayApi {
  /** 2.4.0's mapped device (`name`, `status`, `battery_level`, `location`...); Relay's record is its `raw`. */
  override async fetchDevice(deviceId: string, options?: RelayCallOptions): Promise<SdkDevice> {
    return toSdkDevice(await super.fetchDevice(deviceId, options));
  }
}

/**
 * `@relaypro/sdk` 2.4.0's `relay()`: see {@link createRelayEntry}. Its `api` is always a
 * {@link RelayCompatApi}, as in 2.4.0: without credentials a call fails with ERR_RELAY_API_CONFIG.
 */
export const relay = createRelayEntry(
  ({ subscriberId, apiKey, logger, config }) =>
    new RelayCompatApi({
      subscriberId: subscriberId ?? config.relaySubscriberId,
      apiKey: apiKey ?? config.relayApiKey,
      env: config.relayEnv,
      apiUrl: config.relayApiUrl,
      authUrl: config.relayAuthUrl,
      clientId: config.relayClientId,
      logger: logger.child({ component: 'relay-api' }),
    }),
);
