import { createWorkflowServer, type WorkflowServer } from '../../src';
import { RelayCloud } from '../../src/testing';
import hello from '../../src/workflows/hello';
import { unsignedJwt } from '../helpers/jwt';
import { memoryLogger } from '../helpers/memory-logger';

const TOKEN_PATH = '/realms/Relay/protocol/openid-connect/token';

function oidcGrant(cloud: RelayCloud, fields: Record<string, string> = {}) {
  return post(cloud, TOKEN_PATH, {
    grant_type: 'refresh_token',
    refresh_token: cloud.oidcRefreshToken,
    client_id: cloud.oidcClientId,
    ...fields,
  });
}

async function post(cloud: RelayCloud, path: string, form: Record<string, string>) {
  const response = await fetch(`${cloud.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe("RelayCloud's OpenID Connect token endpoint", () => {
  let cloud: RelayCloud;

  beforeEach(async () => {
    cloud = await RelayCloud.start({ tokenLifetimeSecs: 300 });
  });

  afterEach(() => cloud.close());

  it('issues JWT refresh tokens naming its own issuer and the SDK client, as relay token:generate prints them', () => {
    expect(cloud.issuer).toBe(`${cloud.url}/realms/Relay`);
    expect(cloud.oidcClientId).toBe('RJZKRhh9');
    expect(claimsOf(cloud.oidcRefreshToken)).toMatchObject({ iss: cloud.issuer, azp: 'RJZKRhh9', typ: 'Offline' });
    expect(cloud.oidcClientOptions).toEqual({
      apiKey: cloud.oidcRefreshToken,
      subscriberId: cloud.subscriberId,
      apiUrl: cloud.url,
      authUrl: cloud.url,
    });
  });

  it('grants an access token, its lifetime and a rotated refresh token; the previous one stays good (Keycloak default)', async () => {
    const first = await oidcGrant(cloud);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ token_type: 'Bearer', expires_in: 300, access_token: expect.any(String) });
    const rotated = String(first.body.refresh_token);
    expect(rotated).not.toBe(cloud.oidcRefreshToken);
    expect(claimsOf(rotated)).toMatchObject({ iss: cloud.issuer, azp: 'RJZKRhh9' });
    expect((await oidcGrant(cloud, { refresh_token: rotated })).status).toBe(200);
    expect((await oidcGrant(cloud)).status).toBe(200);
    expect(cloud.calls).toMatchObject({ token: 3, validate: 0 });
  });

  it('with revokeRefreshTokens, a refresh token is good for one grant', async () => {
    await cloud.close();
    cloud = await RelayCloud.start({ revokeRefreshTokens: true });
    const first = await oidcGrant(cloud);
    expect(first.status).toBe(200);
    expect(await oidcGrant(cloud)).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Maximum allowed refresh token reuse exceeded' },
    });
    expect((await oidcGrant(cloud, { refresh_token: String(first.body.refresh_token) })).status).toBe(200);
  });

  it.each([
    ['an unknown client', { client_id: 'TgDsXRuD' }, 401, 'invalid_client'],
    ['another grant type', { grant_type: 'password' }, 400, 'unsupported_grant_type'],
    ['a token it did not sign', 'unsigned', 400, 'invalid_grant'],
    ['a legacy (opaque) token', 'legacy', 400, 'invalid_grant'],
  ] as const)('refuses %s', async (_what, change, status, error) => {
    const fields: Record<string, string> =
      change === 'unsigned'
        ? { refresh_token: unsignedJwt({ iss: cloud.issuer, azp: 'RJZKRhh9' }) }
        : change === 'legacy'
          ? { refresh_token: cloud.apiKey }
          : { ...change };
    const answer = await oidcGrant(cloud, fields);
    expect(answer).toMatchObject({ status, body: { error } });
    expect(JSON.stringify(answer.body)).not.toContain(fields.refresh_token ?? cloud.oidcRefreshToken);
  });

  it('refuses a token naming another client than the one asking (Keycloak\'s "Unmatching clients")', async () => {
    const other = cloud.issueRefreshToken({ azp: 'other-client' });
    expect(await oidcGrant(cloud, { refresh_token: other })).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Unmatching clients' },
    });
  });

  it('the legacy endpoint refuses a JWT refresh token', async () => {
    const answer = await post(cloud, '/oauth2/token', {
      grant_type: 'refresh_token',
      refresh_token: cloud.oidcRefreshToken,
      client_id: cloud.clientId,
    });
    expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  describe('API calls with its access tokens', () => {
    let server: WorkflowServer;

    beforeAll(() => {
      server = createWorkflowServer({ logger: memoryLogger().logger, workflows: { hello } });
    });

    afterAll(() => server.close(0));

    async function triggerAs(userId: string | undefined): Promise<number> {
      const token = String((await oidcGrant(cloud)).body.access_token);
      const query = new URLSearchParams({ subscriber_id: cloud.subscriberId });
      if (userId !== undefined) query.set('user_id', userId);
      const response = await fetch(`${cloud.url}/ibot/workflow/wf_hello?${query.toString()}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ action: 'invoke', target_device_ids: ['990007560012345'] }),
      });
      await response.arrayBuffer();
      return response.status;
    }

    it('an HTTP trigger works with an OpenID Connect access token and a device of the account as user_id', async () => {
      const { port } = await server.listen(0, '127.0.0.1');
      cloud.register('wf_hello', `ws://127.0.0.1:${port}/hello`);
      expect(await triggerAs('990007560012345')).toBe(200);
      expect(cloud.requests.at(-1)).toMatchObject({ endpoint: 'trigger', status: 200, userId: '990007560012345' });
      await (await cloud.nextSession()).simulator.close();
      expect(await triggerAs(undefined)).toBe(200);
      await (await cloud.nextSession()).simulator.close();
    });

    it('answers 403 when its user_id is no device of the account (or the legacy user id)', async () => {
      cloud.register('wf_hello', 'ws://127.0.0.1:1/hello');
      expect(await triggerAs('dev-nobody')).toBe(403);
      expect(await triggerAs(cloud.userId)).toBe(403);
      expect(cloud.sessions).toHaveLength(0);
    });
  });
});
