import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULT_CONFIG, loadConfig, readEnvironment } from '../src/config';

describe('loadConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    expect(loadConfig({})).toEqual({
      port: 8080,
      host: '0.0.0.0',
      logLevel: 'info',
      heartbeatMs: 25_000,
      shutdownGraceMs: 25_000,
      maxPayloadBytes: 3_145_728,
      maxSessions: 1000,
      startTimeoutMs: 10_000,
      maxQueuedBytes: 4_194_304,
      maxBufferedBytes: 67_108_864,
      workflowToken: undefined,
      logPrivateData: false,
      herokuAppDomain: undefined,
      herokuReleaseVersion: undefined,
      herokuSlugCommit: undefined,
      relayApiKey: undefined,
      relaySubscriberId: undefined,
      relayEnv: 'pro',
      relayApiUrl: 'https://all-main-pro-ibot.relaysvr.com',
      relayAuthUrl: undefined,
      relayClientId: undefined,
      redisUrl: undefined,
      dispatchWebhookUrl: undefined,
      registerOnRelease: 'fail',
    });
    expect(loadConfig({})).toEqual(DEFAULT_CONFIG);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '5006',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'DEBUG',
      HEARTBEAT_MS: '1000',
      SHUTDOWN_GRACE_MS: '0',
      MAX_PAYLOAD_BYTES: '65536',
      MAX_SESSIONS: '10',
      START_TIMEOUT_MS: '500',
      MAX_QUEUED_BYTES: '131072',
      MAX_BUFFERED_BYTES: '1048576',
      WORKFLOW_TOKEN: 'a1b2c3d4e5f6a7b8c9d0',
      WORKFLOW_SECRET: 'secret-new-0123456789',
      WORKFLOW_SECRET_PREVIOUS: ' secret-old-0123456789 ',
      LOG_PRIVATE_DATA: 'true',
      HEROKU_APP_DEFAULT_DOMAIN_NAME: 'Demo-1234-0123456789ab.herokuapp.com',
      HEROKU_RELEASE_VERSION: 'v42',
      HEROKU_SLUG_COMMIT: '2c3a0b1d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b',
      RELAY_API_KEY: 'rt-0123456789abcdef',
      RELAY_SUBSCRIBER_ID: 'a1b2c3d4-0000-4000-8000-0123456789ab',
      RELAY_ENV: 'QA',
      RELAY_API_URL: 'http://127.0.0.1:4100/',
      RELAY_AUTH_URL: 'https://auth.example.test/base/',
      RELAY_CLIENT_ID: 'my-client.1',
      REDIS_URL: 'rediss://:p4ss@ec2-1-2-3-4.compute-1.amazonaws.com:12345',
      DISPATCH_WEBHOOK_URL: 'https://dispatch.example.test/requests?key=abc',
      RELAY_INSTALL: ' 990007560012345 , 990007560012346,990007560012345',
      PUBLIC_URL: 'https://Relay.Example.com/',
      RELAY_REGISTER_ON_RELEASE: 'Warn',
    });
    expect(config).toEqual({
      port: 5006,
      host: '127.0.0.1',
      logLevel: 'debug',
      heartbeatMs: 1000,
      shutdownGraceMs: 0,
      maxPayloadBytes: 65_536,
      maxSessions: 10,
      startTimeoutMs: 500,
      maxQueuedBytes: 131_072,
      maxBufferedBytes: 1_048_576,
      workflowToken: 'a1b2c3d4e5f6a7b8c9d0',
      workflowSecret: 'secret-new-0123456789',
      workflowSecretPrevious: 'secret-old-0123456789',
      logPrivateData: true,
      herokuAppDomain: 'demo-1234-0123456789ab.herokuapp.com',
      herokuReleaseVersion: 'v42',
      herokuSlugCommit: '2c3a0b1d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b',
      relayApiKey: 'rt-0123456789abcdef',
      relaySubscriberId: 'a1b2c3d4-0000-4000-8000-0123456789ab',
      relayEnv: 'qa',
      relayApiUrl: 'http://127.0.0.1:4100',
      relayAuthUrl: 'https://auth.example.test/base',
      relayClientId: 'my-client.1',
      redisUrl: 'rediss://:p4ss@ec2-1-2-3-4.compute-1.amazonaws.com:12345',
      dispatchWebhookUrl: 'https://dispatch.example.test/requests?key=abc',
      relayInstall: { type: 'devices', devices: ['990007560012345', '990007560012346'] },
      publicUrl: 'https://relay.example.com',
      registerOnRelease: 'warn',
    });
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });

  it("takes a caller's fallback port only when PORT is unset (relay({ port }) passes one)", () => {
    expect(loadConfig({}, { port: 5006 }).port).toBe(5006);
    expect(loadConfig({ PORT: '' }, { port: 0 }).port).toBe(0);
    expect(loadConfig({ PORT: '7001' }, { port: 5006 }).port).toBe(7001);
  });

  it('treats an empty or blank value as unset', () => {
    expect(loadConfig({ PORT: '', LOG_LEVEL: '  ' })).toMatchObject({ port: 8080, logLevel: 'info' });
  });

  it.each([
    ['PORT', 'abc', 'PORT must be an integer from 1 to 65535, got "abc"'],
    ['PORT', '0', 'PORT must be an integer from 1 to 65535, got "0"'],
    ['PORT', '65536', 'PORT must be an integer from 1 to 65535, got "65536"'],
    ['PORT', '80.5', 'PORT must be an integer from 1 to 65535, got "80.5"'],
    ['PORT', '-1', 'PORT must be an integer from 1 to 65535, got "-1"'],
    ['HOST', 'not a host!', 'HOST must be an IP address or a host name (use 0.0.0.0 on Heroku), got "not a host!"'],
    ['LOG_LEVEL', 'verbose', 'LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, got "verbose"'],
    ['HEARTBEAT_MS', '60000', 'HEARTBEAT_MS must be an integer from 10 to 54000, got "60000"'],
    ['SHUTDOWN_GRACE_MS', '25001', 'SHUTDOWN_GRACE_MS must be an integer from 0 to 25000, got "25001"'],
    ['SHUTDOWN_GRACE_MS', '30000', 'SHUTDOWN_GRACE_MS must be an integer from 0 to 25000, got "30000"'],
    ['MAX_PAYLOAD_BYTES', '10', 'MAX_PAYLOAD_BYTES must be an integer from 1024 to 104857600, got "10"'],
    ['MAX_SESSIONS', 'lots', 'MAX_SESSIONS must be an integer from 1 to 100000, got "lots"'],
    ['START_TIMEOUT_MS', '60000', 'START_TIMEOUT_MS must be an integer from 100 to 55000, got "60000"'],
    [
      'MAX_QUEUED_BYTES',
      '1000000',
      'MAX_QUEUED_BYTES must be an integer from 3145728 to 104857600 (at least MAX_PAYLOAD_BYTES, so that one message of the largest size can wait), got "1000000"',
    ],
    [
      'MAX_BUFFERED_BYTES',
      '4194303',
      'MAX_BUFFERED_BYTES must be an integer from 4194304 to 1073741824 (at least MAX_QUEUED_BYTES), got "4194303"',
    ],
    ['LOG_PRIVATE_DATA', 'maybe', 'LOG_PRIVATE_DATA must be true or false, got "maybe"'],
    [
      'HEROKU_APP_DEFAULT_DOMAIN_NAME',
      'https://x.herokuapp.com',
      'HEROKU_APP_DEFAULT_DOMAIN_NAME must be a host name such as my-app-1a2b3c4d5e6f.herokuapp.com, got "https://x.herokuapp.com"',
    ],
    ['HEROKU_RELEASE_VERSION', '42', 'HEROKU_RELEASE_VERSION must be v followed by digits, such as v42, got "42"'],
    ['HEROKU_SLUG_COMMIT', 'main', 'HEROKU_SLUG_COMMIT must be a git commit id (hex), got "main"'],
  ])('rejects %s=%s with a message naming the variable, the value and what is allowed', (name, value, message) => {
    const load = () => loadConfig({ [name]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
    try {
      load();
    } catch (error) {
      expect((error as ConfigError).variable).toBe(name);
    }
  });

  it('reads RELAY_INSTALL as all, a group or device ids, and refuses anything else naming the variable', () => {
    expect(loadConfig({ RELAY_INSTALL: 'ALL' }).relayInstall).toEqual({ type: 'all' });
    expect(loadConfig({ RELAY_INSTALL: 'group:urn:relay-resource:id:tag:ab' }).relayInstall).toEqual({
      type: 'group',
      group: 'urn:relay-resource:id:tag:ab',
    });
    for (const raw of ['group:', 'a,,b', 'one device', 'a,b c']) {
      const load = () => loadConfig({ RELAY_INSTALL: raw });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(/^RELAY_INSTALL must be all, group:<group> or a comma-separated list of device ids/);
    }
  });

  it('reads RELAY_REGISTER_ON_RELEASE as fail (the default), warn or off, and refuses anything else naming it', () => {
    expect(loadConfig({}).registerOnRelease).toBe('fail');
    expect(loadConfig({ RELAY_REGISTER_ON_RELEASE: 'OFF' }).registerOnRelease).toBe('off');
    const load = () => loadConfig({ RELAY_REGISTER_ON_RELEASE: 'ignore' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow('RELAY_REGISTER_ON_RELEASE must be one of fail, warn, off, got "ignore"');
  });

  it('refuses a PUBLIC_URL that is not an https:// origin, without repeating a query or credentials', () => {
    for (const raw of [
      'relay.example.com',
      'http://relay.example.com',
      'https://relay.example.com/app',
      'https://u:pw@x.com',
    ]) {
      const load = () => loadConfig({ PUBLIC_URL: raw });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(/^PUBLIC_URL must be/);
      expect(load).not.toThrow('pw');
    }
  });

  it('refuses a weak or URL-unsafe WORKFLOW_TOKEN without repeating the secret', () => {
    for (const token of ['short', 'has spaces in it, sixteen+', 'x'.repeat(257)]) {
      const load = () => loadConfig({ WORKFLOW_TOKEN: token });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(
        `WORKFLOW_TOKEN must be 16 to 256 characters from A-Z a-z 0-9 . _ ~ - (it goes in the registered URL; make one with "openssl rand -hex 32"); the value set has ${token.length} characters (not shown: it is a secret)`,
      );
    }
  });

  it('refuses a weak WORKFLOW_SECRET or WORKFLOW_SECRET_PREVIOUS, naming the variable, never the value', () => {
    for (const name of ['WORKFLOW_SECRET', 'WORKFLOW_SECRET_PREVIOUS']) {
      for (const secret of ['short-s3cret', 'has spaces, s3cret sixteen+', 's3cret'.repeat(50)]) {
        const load = () => loadConfig({ WORKFLOW_SECRET: 'valid-secret-0123456789', [name]: secret });
        expect(load).toThrow(ConfigError);
        expect(load).toThrow(
          `${name} must be 16 to 256 characters from A-Z a-z 0-9 . _ ~ - (npm run register puts it in every registration as the arg workflow_secret; make one with "openssl rand -hex 32"); the value set has ${secret.length} characters (not shown: it is a secret)`,
        );
        expect(load).not.toThrow(/s3cret/);
      }
    }
  });

  it('refuses WORKFLOW_SECRET_PREVIOUS without WORKFLOW_SECRET, saying what to set', () => {
    const load = () => loadConfig({ WORKFLOW_SECRET_PREVIOUS: 'previous-s3cret-0123456789' });
    let thrown: unknown;
    try {
      load();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ variable: 'WORKFLOW_SECRET_PREVIOUS' });
    expect(load).toThrow(/WORKFLOW_SECRET_PREVIOUS is set but WORKFLOW_SECRET is not: set WORKFLOW_SECRET/);
    expect(load).not.toThrow(/s3cret/);
  });

  it('refuses a REDIS_URL that is not redis:// or rediss://, naming only its scheme, never the password', () => {
    for (const url of ['https://:s3cretpw@host:6379', 'redis://', 'rediss:/:s3cretpw@', ':s3cretpw@host:6379']) {
      const load = () => loadConfig({ REDIS_URL: url });
      expect(load).toThrow(ConfigError);
      expect(load).toThrow(
        /REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL .*heroku addons:create heroku-redis.*the rest is not shown: it holds a password/,
      );
      expect(load).not.toThrow(/s3cretpw/);
    }
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).redisUrl).toBe('redis://127.0.0.1:6379');
  });

  it('refuses a DISPATCH_WEBHOOK_URL that is not http(s), without repeating a query or credentials', () => {
    expect(() => loadConfig({ DISPATCH_WEBHOOK_URL: 'ftp://x.test/a' })).toThrow(
      'DISPATCH_WEBHOOK_URL must be an http:// or https:// URL such as https://dispatch.example.com/requests, got "ftp://x.test/a"',
    );
    expect(() => loadConfig({ DISPATCH_WEBHOOK_URL: 'ftp://x.test/a?token=s3cret' })).toThrow(
      'got (not shown: it may hold a secret)',
    );
  });

  it('accepts host names and IPv6 addresses for HOST', () => {
    expect(loadConfig({ HOST: 'localhost' }).host).toBe('localhost');
    expect(loadConfig({ HOST: '::' }).host).toBe('::');
  });
});

describe('readEnvironment', () => {
  it('fills in from a .env file, and real variables win over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-env-'));
    const file = join(dir, '.env');
    writeFileSync(file, 'RELAY_TEST_FROM_FILE=file\nRELAY_TEST_BOTH=file\n');
    process.env.RELAY_TEST_BOTH = 'process';
    try {
      const env = readEnvironment(file);
      expect(env.RELAY_TEST_FROM_FILE).toBe('file');
      expect(env.RELAY_TEST_BOTH).toBe('process');
    } finally {
      delete process.env.RELAY_TEST_BOTH;
    }
  });

  it('works without a .env file', () => {
    expect(readEnvironment(join(tmpdir(), 'no-such-dir', '.env')).PATH).toBe(process.env.PATH);
  });
});
