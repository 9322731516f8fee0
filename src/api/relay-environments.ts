/**
 * Relay's environments as `@relaypro/sdk` 2.4.0 names them (`RELAY_ENV`), with the HTTP API
 * base URL, the token service's base URL and the OAuth client id of each.
 *
 * The pro API host is the one Relay's docs show today (`relaysvr.com`); 2.4.0 still used
 * `all-main-pro-ibot.nocell.io`. Set RELAY_API_URL (or 2.4.0's RELAY_HOST) to use another.
 */
export const RELAY_ENVIRONMENTS = Object.freeze({
  pro: Object.freeze({
    apiUrl: 'https://all-main-pro-ibot.relaysvr.com',
    authUrl: 'https://auth.relaygo.com',
    clientId: 'TgDsXRuD',
  }),
  qa: Object.freeze({
    apiUrl: 'https://all-api-qa-ibot.nocell.io',
    authUrl: 'https://auth.relaygo.info',
    clientId: 'rGGK996c',
  }),
});

export type RelayEnv = keyof typeof RELAY_ENVIRONMENTS;

export const RELAY_ENV_NAMES: readonly RelayEnv[] = ['pro', 'qa'];
