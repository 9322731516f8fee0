import { inspect } from 'node:util';
import { RelayApiError, type RelayApi } from '../../src';
import { rejectionOf, startCloudClient, type CloudClient } from '../helpers/cloud-client';

const API_KEY = 'PLANTED-refresh-token-0123456789abcdef';

/**
 * The refresh token and access tokens must never reach an error (message, stack, fields, JSON,
 * inspect, causes) or a log line, whatever fails, even when Relay echoes them back.
 */
describe('RelayApi keeps the refresh token and access tokens out of errors and logs', () => {
  let setup: CloudClient;
  let api: RelayApi;
  /** Every bearer token the client sent, read off the wire by a fetch wrapper. */
  const accessTokens = new Set<string>();

  beforeEach(async () => {
    accessTokens.clear();
    setup = await startCloudClient({ apiKey: API_KEY });
    api = setup.client({
      fetch: (input, init) => {
        const authorization = new Headers(init?.headers).get('authorization');
        if (authorization !== null) accessTokens.add(authorization.replace(/^Bearer /, ''));
        return fetch(input, init);
      },
    });
    await api.fetchDevice('990007560012345'); // a token to leak
    expect(accessTokens.size).toBe(1);
  });

  afterEach(() => setup.cloud.close());

  /** Asserts no secret appears anywhere in the error or the log so far, and returns the error. */
  function expectNoSecrets(error: unknown): RelayApiError {
    expect(error).toBeInstanceOf(RelayApiError);
    const err = error as RelayApiError;
    setup.logs.logger.error({ err }, 'the call failed'); // as an app would log it
    const places = [
      err.message,
      String(err.stack),
      JSON.stringify(err),
      inspect(err, { depth: 10 }),
      String(err.relayMessage),
      setup.logs.text(),
    ];
    for (const secret of [API_KEY, ...accessTokens]) {
      for (const place of places) expect(place).not.toContain(secret);
    }
    return err;
  }

  it('when the token service echoes the refresh token in a refusal', async () => {
    setup.cloud.expireTokens();
    setup.cloud.failNext({ status: 400, path: '/oauth2/token', message: `invalid_grant for ${API_KEY}` });
    const err = expectNoSecrets(await rejectionOf(api.fetchDevice('990007560012345')));
    expect(err.relayMessage).toBe('invalid_grant for [redacted]');
    expect(err.code).toBe('ERR_RELAY_API_AUTH');
  });

  it('when the API echoes the access token in a 400', async () => {
    const [token] = [...accessTokens];
    setup.cloud.failNext({ status: 400, message: `bad request with Bearer ${String(token)}` });
    const err = expectNoSecrets(await rejectionOf(api.triggerWorkflow('wf_x')));
    expect(err.relayMessage).toBe('bad request with Bearer [redacted]');
  });

  it('when the API echoes both in a 401 twice (refresh, retry, give up)', async () => {
    setup.cloud.failNext({ status: 401, times: 2, message: `refused ${[...accessTokens].join(' ')} ${API_KEY}` });
    expectNoSecrets(await rejectionOf(api.fetchDevice('990007560012345')));
    expect(accessTokens.size).toBe(2);
  });

  it('in retry, timeout and network failures, with logs at debug', async () => {
    setup.cloud.failNext({ status: 503, times: Infinity });
    expect(expectNoSecrets(await rejectionOf(api.fetchDevice('990007560012345'))).status).toBe(503);
    const slow = setup.client({ timeoutMs: 50 });
    setup.cloud.delayNext(1_000, { path: '/oauth2/token', times: 3 });
    expect(expectNoSecrets(await rejectionOf(slow.fetchDevice('990007560012345'))).code).toBe('ERR_RELAY_API_TIMEOUT');
    const url = setup.cloud.url;
    await setup.cloud.close();
    expect(
      expectNoSecrets(await rejectionOf(setup.client({ apiUrl: url, authUrl: url }).triggerWorkflow('wf_x'))).code,
    ).toBe('ERR_RELAY_API_NETWORK');
    expect(setup.logs.lines().some((line) => line.msg === 'Relay API call failed; retrying')).toBe(true);
  });

  it('a message longer than 300 characters is truncated after scrubbing', async () => {
    setup.cloud.failNext({ status: 400, message: `${'x'.repeat(290)}${API_KEY}${'y'.repeat(500)}` });
    const err = expectNoSecrets(await rejectionOf(api.fetchDevice('990007560012345')));
    expect(err.relayMessage).toBe(`${'x'.repeat(290)}[redacted]…`);
  });
});
