import { ConfigError, loadConfig, relayApiFromConfig, RelayApi } from '../../src';
import { RelayCloud } from '../../src/testing';
import { memoryLogger } from '../helpers/memory-logger';

const KEY = 'PLANTED-config-refresh-token-42';

describe('loadConfig: the Relay HTTP API variables', () => {
  it('picks the API and auth URLs and the client id from RELAY_ENV', () => {
    expect(loadConfig({ RELAY_ENV: 'qa' })).toMatchObject({
      relayEnv: 'qa',
      relayApiUrl: 'https://all-api-qa-ibot.nocell.io',
      relayAuthUrl: 'https://auth.relaygo.info',
      relayClientId: 'rGGK996c',
    });
  });

  it('takes RELAY_HOST as 2.4.0 does: a bare host (https) or a URL, containing the env name', () => {
    expect(loadConfig({ RELAY_HOST: 'all-main-pro-ibot.nocell.io' }).relayApiUrl).toBe(
      'https://all-main-pro-ibot.nocell.io',
    );
    expect(loadConfig({ RELAY_ENV: 'qa', RELAY_HOST: 'http://qa-relay.local:8080/' }).relayApiUrl).toBe(
      'http://qa-relay.local:8080',
    );
  });

  it.each([
    [{ RELAY_ENV: 'staging' }, 'RELAY_ENV', 'RELAY_ENV must be one of pro, qa, got "staging"'],
    [
      { RELAY_API_URL: 'ftp://x' },
      'RELAY_API_URL',
      'RELAY_API_URL must be an http:// or https:// URL such as https://all-main-pro-ibot.relaysvr.com, got "ftp://x"',
    ],
    [{ RELAY_AUTH_URL: 'not a url' }, 'RELAY_AUTH_URL', 'RELAY_AUTH_URL must be an http:// or https:// URL'],
    [
      { RELAY_API_URL: 'https://x.test/?a=1' },
      'RELAY_API_URL',
      'RELAY_API_URL must be a base URL without credentials, query or #fragment, got "https://x.test/?a=1"',
    ],
    [
      { RELAY_HOST: 'all-api-qa-ibot.nocell.io' },
      'RELAY_HOST',
      'RELAY_HOST must contain the RELAY_ENV name "pro" (as @relaypro/sdk 2.4.0 requires)',
    ],
    [
      { RELAY_HOST: 'bad host!' },
      'RELAY_HOST',
      'RELAY_HOST must be a host name such as all-main-pro-ibot.relaysvr.com or an http(s) URL, got "bad host!"',
    ],
    [
      { RELAY_HOST: 'pro.relay.test', RELAY_API_URL: 'https://x.test' },
      'RELAY_HOST',
      'RELAY_API_URL and RELAY_HOST are both set',
    ],
    [
      { RELAY_SUBSCRIBER_ID: 'has spaces' },
      'RELAY_SUBSCRIBER_ID',
      'RELAY_SUBSCRIBER_ID must be your Relay subscriber id',
    ],
    [
      { RELAY_SUBSCRIBER_ID: 'sub-1' },
      'RELAY_API_KEY',
      'RELAY_SUBSCRIBER_ID is set but RELAY_API_KEY is not: the Relay HTTP API needs both',
    ],
    [{ RELAY_API_KEY: KEY }, 'RELAY_SUBSCRIBER_ID', 'RELAY_API_KEY is set but RELAY_SUBSCRIBER_ID is not'],
  ])('refuses %j, naming %s', (env, variable, message) => {
    const load = () => loadConfig(env);
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
    expect(() => loadConfig(env)).toThrow(expect.objectContaining({ variable }) as Error);
  });

  it('never repeats RELAY_API_KEY, nor a URL holding credentials', () => {
    for (const key of ['short', `${KEY} with spaces`]) {
      const error = captureError(() => loadConfig({ RELAY_API_KEY: key, RELAY_SUBSCRIBER_ID: 's' }));
      expect(error.message).toContain(`the value set has ${key.length} characters (not shown: it is a secret)`);
      expect(error.message).not.toContain(key);
    }
    const error = captureError(() => loadConfig({ RELAY_API_URL: `https://user:${KEY}@relay.test/?x` }));
    expect(error.message).toContain('(not shown: it looks like it holds credentials)');
    expect(error.message).not.toContain(KEY);
  });
});

describe('relayApiFromConfig', () => {
  it('is undefined without credentials', () => {
    expect(relayApiFromConfig(loadConfig({}), memoryLogger().logger)).toBeUndefined();
  });

  it('builds a RelayApi that reaches the configured cloud, logging as relay-api', async () => {
    const cloud = await RelayCloud.start({ apiKey: KEY, subscriberId: 'sub-7', clientId: 'rGGK996c' });
    const logs = memoryLogger('debug');
    try {
      const config = loadConfig({
        RELAY_API_KEY: KEY,
        RELAY_SUBSCRIBER_ID: 'sub-7',
        RELAY_ENV: 'qa',
        RELAY_API_URL: cloud.url,
        RELAY_AUTH_URL: cloud.url,
      });
      const api = relayApiFromConfig(config, logs.logger);
      expect(api).toBeInstanceOf(RelayApi);
      await expect(api?.fetchDevice('990007560012345')).resolves.toMatchObject({ device_label: 'Sim' });
      expect(logs.lines().find((line) => line.msg === 'got a Relay access token')).toMatchObject({
        component: 'relay-api',
        level: 'debug',
      });
      expect(logs.text()).not.toContain(KEY);
    } finally {
      await cloud.close();
    }
  });
});

function captureError(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
