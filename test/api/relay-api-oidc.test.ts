import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import {
  createWorkflow,
  createWorkflowServer,
  Event,
  RelayApi,
  RelayApiError,
  type RelayApiOptions,
  type WorkflowServer,
} from '../../src';
import type { RelayCloudOptions } from '../../src/testing';
import { rejectionOf, startCloudClient, type CloudClient } from '../helpers/cloud-client';
import { unsignedJwt } from '../helpers/jwt';
import { memoryLogger } from '../helpers/memory-logger';
import { ONLY_DATE } from '../helpers/only-date';

const DEVICE = '990007560012345';
const TOKEN_PATH = '/realms/Relay/protocol/openid-connect/token';

/** Says the trigger's `text` arg, then terminates. */
const announce = createWorkflow((workflow) => {
  workflow.on(Event.START, async ({ trigger }) => {
    const interaction = trigger.args.source_uri;
    await workflow.startInteraction([interaction], 'announce');
  });
  workflow.on(Event.INTERACTION_STARTED, async ({ source_uri: interaction }) => {
    await workflow.sayAndWait(interaction, 'announced');
    await workflow.terminate();
  });
});

/** A cloud client signed in with the cloud's OpenID Connect refresh token (as relay token:generate makes). */
function startOidcClient(
  cloudOptions: RelayCloudOptions = {},
  apiOptions: Partial<RelayApiOptions> = {},
): Promise<CloudClient> {
  return startCloudClient(cloudOptions, apiOptions).then((setup) => {
    const client = (options = {}) =>
      setup.client({ clientId: undefined, ...setup.cloud.oidcClientOptions, ...options });
    return { ...setup, api: client(), client };
  });
}

describe("RelayApi signs in with Relay's OpenID Connect refresh tokens", () => {
  let server: WorkflowServer;
  let base: string;
  let setup: CloudClient;

  beforeAll(async () => {
    server = createWorkflowServer({ logger: memoryLogger().logger, workflows: { announce } });
    const { port } = await server.listen(0, '127.0.0.1');
    base = `ws://127.0.0.1:${port}`;
  });

  afterAll(() => server.close(0));

  beforeEach(async () => {
    setup = await startOidcClient();
    setup.cloud.register('wf_announce', `${base}/announce`);
  });

  afterEach(async () => {
    jest.useRealTimers();
    await setup.cloud.close();
  });

  it('redeems a JWT at <issuer>/protocol/openid-connect/token (no validate) and triggers with the first target as user_id', async () => {
    const answer = await setup.api.triggerWorkflow('wf_announce', [DEVICE], { text: 'hi' });
    expect(answer).toMatchObject({ status: 'ok', target_device_ids: [DEVICE] });
    expect((await (await setup.cloud.nextSession()).finished).says).toEqual(['announced']);
    expect(
      setup.cloud.requests.map(({ endpoint, method, path, status, userId }) => ({
        endpoint,
        method,
        path,
        status,
        userId,
      })),
    ).toEqual([
      { endpoint: 'token', method: 'POST', path: TOKEN_PATH, status: 200, userId: undefined },
      { endpoint: 'trigger', method: 'POST', path: '/ibot/workflow/wf_announce', status: 200, userId: DEVICE },
    ]);
    expect(setup.logs.lines().find((line) => line.msg === 'got a Relay access token')).toMatchObject({
      signIn: 'oidc',
    });
  });

  it('fetches a device with its id as user_id, and a trigger without targets sends no user_id', async () => {
    await expect(setup.api.fetchDevice(DEVICE)).resolves.toMatchObject({ device_id: DEVICE });
    await setup.api.triggerWorkflow('wf_announce');
    await setup.cloud.nextSession();
    expect(setup.cloud.requests.filter((r) => r.endpoint !== 'token').map((r) => [r.endpoint, r.userId])).toEqual([
      ['device', DEVICE],
      ['trigger', undefined],
    ]);
  });

  it('caches the token, shares one grant between concurrent calls, and gets one new token on a 401', async () => {
    await Promise.all(Array.from({ length: 6 }, () => setup.api.fetchDevice(DEVICE)));
    expect(setup.cloud.calls).toMatchObject({ token: 1, validate: 0, device: 6 });
    setup.cloud.expireTokens();
    await Promise.all(Array.from({ length: 3 }, () => setup.api.fetchDevice(DEVICE)));
    expect(setup.cloud.calls).toMatchObject({ token: 2, validate: 0, device: 12 });
  });

  it('gets a new token when the cached one nears its expiry (fake clock)', async () => {
    await setup.cloud.close();
    jest.useFakeTimers({ ...ONLY_DATE, now: new Date('2026-03-01T12:00:00Z') });
    setup = await startOidcClient({ tokenLifetimeSecs: 600 });
    await setup.api.fetchDevice(DEVICE);
    jest.setSystemTime(Date.now() + 500_000); // 100 s left: outside the 60 s margin
    await setup.api.fetchDevice(DEVICE);
    expect(setup.cloud.calls.token).toBe(1);
    jest.setSystemTime(Date.now() + 50_000); // 50 s left: inside the margin
    await setup.api.fetchDevice(DEVICE);
    expect(setup.cloud.calls).toMatchObject({ token: 2, device: 3 });
    jest.setSystemTime(Date.now() + 3_600_000); // long expired, at the cloud too
    await setup.api.fetchDevice(DEVICE);
    expect(setup.cloud.calls).toMatchObject({ token: 3, device: 4 });
  });

  it('redeems the rotated refresh token at the next grant (the cloud accepts each refresh token once)', async () => {
    await setup.cloud.close();
    setup = await startOidcClient({ revokeRefreshTokens: true });
    await setup.api.fetchDevice(DEVICE);
    setup.cloud.expireTokens();
    await setup.api.fetchDevice(DEVICE); // 401, a grant with the rotated token, the retry
    setup.cloud.expireTokens();
    await setup.api.fetchDevice(DEVICE);
    expect(setup.cloud.calls).toMatchObject({ token: 3, device: 5 });
    // RELAY_API_KEY itself was used up by the first grant: a new process starting from it is refused.
    const error = await rejectionOf(setup.client().fetchDevice(DEVICE));
    expect(error).toMatchObject({ code: 'ERR_RELAY_API_AUTH', status: 400 });
  });

  it('a refused refresh token is one ERR_RELAY_API_AUTH naming relay token:generate, never the token', async () => {
    const forged = unsignedJwt({ iss: setup.cloud.issuer, azp: 'RJZKRhh9', typ: 'Offline' });
    const api = setup.client({ apiKey: forged });
    const error = await rejectionOf(api.triggerWorkflow('wf_announce', [DEVICE]));
    expect(error).toBeInstanceOf(RelayApiError);
    expect(error).toMatchObject({
      call: 'triggerWorkflow',
      code: 'ERR_RELAY_API_AUTH',
      status: 400,
      relayMessage: 'Invalid refresh token',
    });
    const err = error as RelayApiError;
    expect(err.message).toBe(
      `triggerWorkflow failed: could not get an access token: Relay's sign-in at ${new URL(setup.cloud.url).host} answered ${TOKEN_PATH} ` +
        'with HTTP 400 "Invalid refresh token"; the refresh token is expired, revoked or made for another RELAY_ENV: ' +
        'make a new one with "relay token:generate" (tick "Remember me") and set RELAY_API_KEY to it',
    );
    setup.logs.logger.error({ err }, 'the call failed');
    for (const place of [err.message, String(err.stack), inspect(err, { depth: 10 }), setup.logs.text()])
      expect(place).not.toContain(forged);
    expect(setup.cloud.calls).toMatchObject({ token: 1, trigger: 0 });
  });

  it('keeps a rotated refresh token out of errors when the sign-in echoes it', async () => {
    await setup.api.fetchDevice(DEVICE);
    setup.cloud.expireTokens();
    const sent: string[] = [];
    const api = setup.client({
      fetch: async (input, init) => {
        const form = new URLSearchParams(typeof init?.body === 'string' ? init.body : '');
        const refreshToken = form.get('refresh_token');
        if (refreshToken === null) return fetch(input, init);
        sent.push(refreshToken);
        if (sent.length === 1) return fetch(input, init);
        const echo = { error: 'invalid_grant', error_description: `refused ${refreshToken}` };
        return new Response(JSON.stringify(echo), { status: 400, headers: { 'Content-Type': 'application/json' } });
      },
    });
    await api.fetchDevice(DEVICE);
    setup.cloud.expireTokens();
    const error = (await rejectionOf(api.fetchDevice(DEVICE))) as RelayApiError;
    expect(sent).toHaveLength(2);
    expect(sent[1]).not.toBe(sent[0]); // the rotated one
    expect(error.relayMessage).toBe('refused [redacted]');
    for (const token of sent) expect(`${error.message} ${inspect(error)} ${setup.logs.text()}`).not.toContain(token);
  });

  describe('RELAY_CLIENT_ID (clientId)', () => {
    it('replaces the client id the token names, for a sign-in that expects another one', async () => {
      await setup.cloud.close();
      setup = await startOidcClient({ oidcClientId: 'custom-sdk' });
      const tokenWithoutAzp = setup.cloud.issueRefreshToken({ azp: null });
      const error = await rejectionOf(setup.client({ apiKey: tokenWithoutAzp }).fetchDevice(DEVICE));
      expect(error).toMatchObject({
        code: 'ERR_RELAY_API_AUTH',
        status: 401,
        relayMessage: expect.stringContaining('Invalid client'),
      });
      const api = setup.client({ apiKey: tokenWithoutAzp, clientId: 'custom-sdk' });
      await expect(api.fetchDevice(DEVICE)).resolves.toMatchObject({ device_id: DEVICE });
    });

    it('a client id the sign-in refuses says to check RELAY_CLIENT_ID', async () => {
      const error = await rejectionOf(setup.client({ clientId: 'wrong-client' }).fetchDevice(DEVICE));
      expect(error).toMatchObject({ code: 'ERR_RELAY_API_AUTH', status: 401 });
      expect((error as Error).message).toMatch(/relay token:generate.*check RELAY_CLIENT_ID/);
    });
  });

  describe('a JWT naming an issuer that is not Relay’s', () => {
    let foreign: Server;
    let received: string[];
    let foreignUrl: string;

    beforeEach(async () => {
      received = [];
      foreign = createServer((request, response) => {
        received.push(`${request.method} ${request.url}`);
        response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"access_token":"stolen"}');
      });
      await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
      foreignUrl = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
    });

    afterEach(() => new Promise<void>((resolve) => foreign.close(() => resolve())));

    it.each([
      ['without RELAY_AUTH_URL', { authUrl: undefined }],
      ["with RELAY_AUTH_URL on another port of the foreign issuer's host", {}],
    ])('is refused %s, and nothing is sent anywhere', async (_when, options) => {
      const token = unsignedJwt({ iss: `${foreignUrl}/realms/Relay`, azp: 'RJZKRhh9', typ: 'Offline' });
      const api = setup.client({ apiKey: token, ...options });
      const error = await rejectionOf(api.triggerWorkflow('wf_announce', [DEVICE]));
      expect(error).toBeInstanceOf(RelayApiError);
      expect(error).toMatchObject({ code: 'ERR_RELAY_API_CONFIG', call: 'triggerWorkflow' });
      const message = (error as Error).message;
      expect(message).toContain(
        `naming the issuer "${new URL(foreignUrl).host}", not one of Relay's (auth.relaypro.com`,
      );
      expect(message).toContain('set RELAY_API_KEY to a refresh token from "relay token:generate"');
      expect(message).toContain('set RELAY_AUTH_URL');
      expect(message).not.toContain(token);
      // A second call is refused the same way, without a request either.
      await expect(api.fetchDevice(DEVICE)).rejects.toMatchObject({ code: 'ERR_RELAY_API_CONFIG' });
      expect(received).toEqual([]);
      expect(setup.cloud.requests).toEqual([]);
    });

    it('is accepted once RELAY_AUTH_URL names that service', async () => {
      const token = unsignedJwt({ iss: `${foreignUrl}/realms/Relay`, azp: 'RJZKRhh9' });
      await rejectionOf(setup.client({ apiKey: token, authUrl: foreignUrl }).fetchDevice(DEVICE));
      expect(received.length).toBeGreaterThan(0);
      expect(new Set(received)).toEqual(new Set([`POST ${TOKEN_PATH}`]));
    });
  });

  it('an opaque token still takes the legacy sign-in: /oauth2/token, /oauth2/validate, the validated user id', async () => {
    const legacy = new RelayApi({ ...setup.cloud.clientOptions, logger: setup.logs.logger });
    await legacy.triggerWorkflow('wf_announce', [DEVICE]);
    await setup.cloud.nextSession();
    expect(setup.cloud.requests.map((r) => [r.path, r.userId])).toEqual([
      ['/oauth2/token', undefined],
      ['/oauth2/validate', undefined],
      ['/ibot/workflow/wf_announce', setup.cloud.userId],
    ]);
  });
});
