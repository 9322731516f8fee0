import type { Config } from '../config';
import type { Logger } from '../logger';
import { RelayApi, type RelayApiOptions } from './relay-api';

/**
 * The server's RelayApi from its config, logging under `component: relay-api`; undefined when
 * RELAY_API_KEY and RELAY_SUBSCRIBER_ID are unset (loadConfig refuses one without the other).
 * `overrides` are for tests (fetch, sleep, timeouts).
 *
 * @example
 * const api = relayApiFromConfig(loadConfig(), logger)
 * if (api === undefined) logger.warn('set RELAY_API_KEY and RELAY_SUBSCRIBER_ID to trigger workflows')
 */
export function relayApiFromConfig(
  config: Config,
  log: Logger,
  overrides: Partial<RelayApiOptions> = {},
): RelayApi | undefined {
  if (config.relayApiKey === undefined || config.relaySubscriberId === undefined) return undefined;
  return new RelayApi({
    apiKey: config.relayApiKey,
    subscriberId: config.relaySubscriberId,
    apiUrl: config.relayApiUrl,
    authUrl: config.relayAuthUrl,
    clientId: config.relayClientId,
    log: log.child({ component: 'relay-api' }),
    ...overrides,
  });
}
