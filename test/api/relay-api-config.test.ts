import { ConfigError, loadConfig, relayApiFromConfig, RelayApi, RELAY_ENVIRONMENTS } from '../../src';
import { relaySignIn } from '../../src/api/relay-api';
import { RelayCloud } from '../../src/testing';
import { unsignedJwt } from '../helpers/jwt';
import { memoryLogger } from '../helpers/memory-logger';

const KEY = 'PLANTED-config-refresh-token-42';

describe('loadConfig: the Relay HTTP API variables', () => {
  it("picks the API host from RELAY_ENV; the sign-in host and client id are the token's unless overridden", () => {
    expect(loadConfig({ RELAY_ENV: 'qa' })).toMatchObject({
      relayEnv: 'qa',
      relayApiUrl: 'https://all-main-qa-ibot.relaysvr.com',
      relayAuthUrl: undefined,
      relayClientId: undefined,
    });
    expect(loadConfig({ RELAY_CLIENT_ID: 'RJZKRhh9', RELAY_AUTH_URL: 'https://proxy.test/relay/' })).toMatchObject({
      relayClientId: 'RJZKRhh9',
      relayAuthUrl: 'https://proxy.test/relay',
    });
  });

  it("knows relay CLI 1.x's hosts and SDK client ids, and 2.4.0's legacy ones", () => {
    expect(RELAY_ENVIRONMENTS).toEqual({
      pro: {
        apiUrl: 'https://all-main-pro-ibot.relaysvr.com',
        issuer: 'https://auth.relaypro.com/realms/Relay',
        clientId: 'RJZKRhh9',
        legacyAuthUrl: 'https://auth.relaygo.com',
        legacyClientId: 'TgDsXRuD',
      },
      qa: {
        apiUrl: 'https://all-main-qa-ibot.relaysvr.com',
        issuer: 'https://auth2.relaygo.info/realms/Relay',
        clientId: 'rGGK996c',
        legacyAuthUrl: 'https://auth.relaygo.info',
        legacyClientId: 'rGGK996c',
      },
    });
  });

  it.each([
    ['pro', 'https://auth.relaypro.com/realms/Relay', 'RJZKRhh9', undefined],
    ['qa', 'https://auth2.relaygo.info/realms/Relay', 'rGGK996c', undefined],
    ['pro', 'https://auth.relaypro.com/realms/Relay', 'RJZKRhh9', 'https://proxy.test/base'],
  ] as const)(
    'redeems a %s JWT naming %s at its token endpoint, or RELAY_AUTH_URL %s instead',
    (env, iss, azp, authUrl) => {
      expect(relaySignIn(unsignedJwt({ iss, azp }), { env, authUrl })).toEqual({
        kind: 'oidc',
        tokenUrl: `${authUrl ?? new URL(iss).origin}/realms/Relay/protocol/openid-connect/token`,
        clientId: azp,
      });
    },
  );

  it("takes anything that is not a JWT naming an issuer as an opaque token for RELAY_ENV's legacy sign-in", () => {
    for (const token of [
      KEY,
      'a.b.c',
      `x.${Buffer.from('not json').toString('base64url')}.y`,
      unsignedJwt({ azp: 'x' }),
    ]) {
      expect(relaySignIn(token, { env: 'qa' })).toEqual({
        kind: 'legacy',
        authUrl: 'https://auth.relaygo.info',
        clientId: 'rGGK996c',
      });
    }
    expect(
      relaySignIn(`${unsignedJwt({ iss: 'https://auth.relaypro.com/realms/Relay' })}${'x'.repeat(4096)}`),
    ).toMatchObject({
      kind: 'legacy',
    });
    expect(relaySignIn(KEY, { authUrl: 'http://127.0.0.1:4100', clientId: 'c1' })).toEqual({
      kind: 'legacy',
      authUrl: 'http://127.0.0.1:4100',
      clientId: 'c1',
    });
  });

  it.each([
    'https://evil.test/realms/Relay',
    'https://auth.relaypro.com.evil.test/realms/Relay',
    'http://auth.relaypro.com/realms/Relay',
    'https://auth.relaypro.com:8443/realms/Relay',
    'https://user@auth.relaypro.com/realms/Relay',
    'https://auth.relaypro.com/realms/Relay?x=1',
    'https://auth.relaypro.com/realms/%2e%2e/admin',
    'not a url',
  ])('refuses at startup a RELAY_API_KEY naming the issuer %s, without repeating the token', (iss) => {
    const token = unsignedJwt({ iss, azp: 'RJZKRhh9' });
    const error = captureError(() => loadConfig({ RELAY_API_KEY: token, RELAY_SUBSCRIBER_ID: 's' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ variable: 'RELAY_API_KEY' });
    expect(error.message).toContain('set RELAY_API_KEY to a refresh token from "relay token:generate"');
    expect(error.message).not.toContain(token);
  });

  it("accepts a JWT naming RELAY_AUTH_URL's origin as its issuer", () => {
    const token = unsignedJwt({ iss: 'http://127.0.0.1:4100/realms/Relay', azp: 'RJZKRhh9' });
    expect(() => loadConfig({ RELAY_API_KEY: token, RELAY_SUBSCRIBER_ID: 's' })).toThrow(ConfigError);
    expect(
      loadConfig({ RELAY_API_KEY: token, RELAY_SUBSCRIBER_ID: 's', RELAY_AUTH_URL: 'http://127.0.0.1:4100' })
        .relayApiKey,
    ).toBe(token);
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
    [{ RELAY_CLIENT_ID: 'has space' }, 'RELAY_CLIENT_ID', 'RELAY_CLIENT_ID must be an OAuth client id'],
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

describe('relayApiFromConfig with a refresh token of the current sign-in', () => {
  it("uses RELAY_ENV=qa's SDK client id for a JWT naming none, and RELAY_CLIENT_ID over it", async () => {
    const cloud = await RelayCloud.start({ subscriberId: 'sub-7', oidcClientId: 'rGGK996c' });
    try {
      const token = cloud.issueRefreshToken({ azp: null });
      const env = {
        RELAY_API_KEY: token,
        RELAY_SUBSCRIBER_ID: 'sub-7',
        RELAY_API_URL: cloud.url,
        RELAY_AUTH_URL: cloud.url,
      };
      const logs = memoryLogger('debug');
      const qa = relayApiFromConfig(loadConfig({ ...env, RELAY_ENV: 'qa' }), logs.logger);
      await expect(qa?.fetchDevice('990007560012345')).resolves.toMatchObject({ device_label: 'Sim' });
      const pro = relayApiFromConfig(loadConfig(env), logs.logger);
      await expect(pro?.fetchDevice('990007560012345')).rejects.toMatchObject({
        code: 'ERR_RELAY_API_AUTH',
        status: 401,
      });
      const overridden = relayApiFromConfig(loadConfig({ ...env, RELAY_CLIENT_ID: 'rGGK996c' }), logs.logger);
      await expect(overridden?.fetchDevice('990007560012345')).resolves.toMatchObject({ device_label: 'Sim' });
      expect(logs.text()).not.toContain(token);
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
