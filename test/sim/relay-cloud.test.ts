import { createWorkflowServer, type WorkflowServer } from '../../src';
import { RelayCloud } from '../../src/testing';
import hello from '../../src/workflows/hello';
import { memoryLogger } from '../helpers/memory-logger';
import { ONLY_DATE } from '../helpers/only-date';

const ALICE = { id: 'dev-alice', name: 'Alice' };
const BOB = { id: 'dev-bob', name: 'Bob' };

/** A raw request to the cloud, returning status and parsed JSON body. */
async function call(
  cloud: RelayCloud,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${cloud.url}${path}`, { method, headers: init.headers, body: init.body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function grant(cloud: RelayCloud, fields: Record<string, string> = {}) {
  const form = new URLSearchParams({
    grant_type: 'refresh_token',
    refresh_token: cloud.apiKey,
    client_id: cloud.clientId,
    ...fields,
  });
  return call(cloud, 'POST', '/oauth2/token', {
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
}

async function accessToken(cloud: RelayCloud): Promise<string> {
  const { status, body } = await grant(cloud);
  expect(status).toBe(200);
  return String(body.access_token);
}

function account(cloud: RelayCloud): string {
  return new URLSearchParams({ subscriber_id: cloud.subscriberId, user_id: cloud.userId }).toString();
}

async function trigger(cloud: RelayCloud, workflowId: string, body: unknown, token?: string) {
  return call(cloud, 'POST', `/ibot/workflow/${encodeURIComponent(workflowId)}?${account(cloud)}`, {
    headers: { Authorization: `Bearer ${token ?? (await accessToken(cloud))}`, 'Content-Type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('RelayCloud (the simulated Relay HTTP API)', () => {
  let server: WorkflowServer;
  let helloUrl: string;
  let cloud: RelayCloud;

  beforeAll(async () => {
    server = createWorkflowServer({ logger: memoryLogger().logger, workflows: { hello } });
    const { port } = await server.listen(0, '127.0.0.1');
    helloUrl = `ws://127.0.0.1:${port}/hello`;
  });

  afterAll(() => server.close(0));

  beforeEach(async () => {
    cloud = await RelayCloud.start({
      apiKey: 'cloud-test-refresh-token',
      devices: [ALICE, BOB],
      simulator: { answers: ['Ana'] },
    });
    cloud.register('wf_hello', helloUrl, { args: { greeting: 'Hey' } });
  });

  afterEach(() => cloud.close());

  describe('token service', () => {
    it('grants a bearer token for the refresh token, and validate names the user', async () => {
      const { status, body } = await grant(cloud);
      expect(status).toBe(200);
      expect(body).toEqual({
        access_token: expect.stringMatching(/^sim-access-/),
        expires_in: 3600,
        token_type: 'Bearer',
      });
      const validated = await call(cloud, 'GET', '/oauth2/validate', {
        headers: { Authorization: `Bearer ${String(body.access_token)}` },
      });
      expect(validated).toEqual({ status: 200, body: { userid: 'sim-user', client_id: cloud.clientId } });
    });

    it.each([
      [{ grant_type: 'password' }, 400, 'unsupported_grant_type'],
      [{ client_id: 'rGGK996c' }, 401, 'invalid_client'],
      [{ refresh_token: 'wrong' }, 400, 'invalid_grant'],
    ])('refuses %j with %i %s, never echoing the refresh token', async (fields, status, error) => {
      const answer = await grant(cloud, fields);
      expect(answer).toMatchObject({ status, body: { error } });
      expect(JSON.stringify(answer.body)).not.toContain('wrong');
      expect(JSON.stringify(answer.body)).not.toContain(cloud.apiKey);
    });

    it('refuses a JSON body, and one over the size cap with 413', async () => {
      const json = await call(cloud, 'POST', '/oauth2/token', {
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(json.status).toBe(400);
      const huge = await call(cloud, 'POST', '/oauth2/token', {
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'a='.padEnd(70_000, 'x'),
      });
      expect(huge.status).toBe(413);
    });

    it('validate refuses a missing or unknown token with 401', async () => {
      expect((await call(cloud, 'GET', '/oauth2/validate')).status).toBe(401);
      expect((await call(cloud, 'GET', '/oauth2/validate', { headers: { Authorization: 'Bearer nope' } })).status).toBe(
        401,
      );
    });

    it('expireTokens revokes every token issued', async () => {
      const token = await accessToken(cloud);
      cloud.expireTokens();
      expect(
        (await call(cloud, 'GET', '/oauth2/validate', { headers: { Authorization: `Bearer ${token}` } })).status,
      ).toBe(401);
    });

    it('tokens expire after tokenLifetimeSecs', async () => {
      await cloud.close();
      cloud = await RelayCloud.start({ tokenLifetimeSecs: 0.05 });
      // Only Date is fake: the clock moves 80 ms on without a wait.
      jest.useFakeTimers(ONLY_DATE);
      try {
        const token = await accessToken(cloud);
        jest.setSystemTime(Date.now() + 80);
        expect(
          (await call(cloud, 'GET', '/oauth2/validate', { headers: { Authorization: `Bearer ${token}` } })).status,
        ).toBe(401);
      } finally {
        jest.useRealTimers();
      }
    });
  });

  describe('HTTP trigger', () => {
    it('opens a session per target device; each start event carries the action_args', async () => {
      const { status, body } = await trigger(cloud, 'wf_hello', {
        action: 'invoke',
        action_args: { room: '12' },
        target_device_ids: ['dev-alice', 'dev-bob'],
      });
      expect(status).toBe(200);
      expect(body).toEqual({ status: 'ok', workflow_id: 'wf_hello', target_device_ids: ['dev-alice', 'dev-bob'] });
      const sessions = [await cloud.nextSession(), await cloud.nextSession()];
      expect(sessions.map((session) => session.deviceId)).toEqual(['dev-alice', 'dev-bob']);
      const runs = await Promise.all(sessions.map((session) => session.finished));
      expect(runs.map((run) => run.says)).toEqual([
        ['What is your name?', 'Hey Ana!'],
        ['What is your name?', 'Hey Ana!'],
      ]);
      expect(runs.map((run) => run.transcript[0]?.frame)).toEqual(
        ['Alice', 'Bob'].map((name) => ({
          _type: 'wf_api_start_event',
          trigger: {
            type: 'http',
            args: { args: { room: '12' }, source_uri: `urn:relay-resource:name:device:${name}` },
          },
        })),
      );
    });

    it('without targets, runs on the registered devices, else on the first device', async () => {
      cloud.register('wf_bob', helloUrl, { devices: ['dev-bob'] });
      await trigger(cloud, 'wf_bob', { action: 'invoke' });
      expect((await cloud.nextSession()).deviceId).toBe('dev-bob');
      await trigger(cloud, 'wf_hello', { action: 'invoke' });
      expect((await cloud.nextSession()).deviceId).toBe('dev-alice');
    });

    it.each([
      ['not JSON', '{"action":', 'the body must be a JSON object'],
      ['an array', '[]', 'the body must be a JSON object'],
      ['another action', { action: 'delete' }, 'action must be "invoke"'],
      ['a number arg', { action: 'invoke', action_args: { n: 1 } }, 'action_args values must be strings'],
      ['args as an array', { action: 'invoke', action_args: ['a'] }, 'action_args must be an object'],
      [
        'targets as a string',
        { action: 'invoke', target_device_ids: 'dev-bob' },
        'target_device_ids must be an array of 1 to 1000 device ids',
      ],
      [
        'an empty target',
        { action: 'invoke', target_device_ids: [''] },
        'target_device_ids must hold non-empty strings',
      ],
    ])('answers 400 to %s', async (_what, body, message) => {
      expect(await trigger(cloud, 'wf_hello', body)).toEqual({ status: 400, body: { message } });
      expect(cloud.sessions).toHaveLength(0);
    });

    it('takes __proto__ and constructor as ordinary arg names', async () => {
      const body = '{"action":"invoke","action_args":{"__proto__":"x","constructor":"y"}}';
      expect((await trigger(cloud, 'wf_hello', body)).status).toBe(200);
      const session = await cloud.nextSession();
      expect(Object.getOwnPropertyNames(session.actionArgs).sort()).toEqual(['__proto__', 'constructor']);
      expect(Object.getPrototypeOf(session.actionArgs)).toBe(Object.prototype);
    });

    it('answers 401 without a valid token and 403 for another account, opening nothing', async () => {
      expect((await trigger(cloud, 'wf_hello', { action: 'invoke' }, 'forged')).status).toBe(401);
      const token = await accessToken(cloud);
      const other = await call(cloud, 'POST', '/ibot/workflow/wf_hello?subscriber_id=other&user_id=sim-user', {
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: '{"action":"invoke"}',
      });
      expect(other.status).toBe(403);
      expect(cloud.sessions).toHaveLength(0);
    });

    it('answers 404 for an unknown workflow or device, 413 for a huge body, 400 for a non-JSON type or a bad path', async () => {
      expect(await trigger(cloud, 'wf_nope', { action: 'invoke' })).toEqual({
        status: 404,
        body: { message: 'no workflow wf_nope on this account' },
      });
      expect((await trigger(cloud, 'wf_hello', { action: 'invoke', target_device_ids: ['dev-zed'] })).body).toEqual({
        message: 'no device dev-zed on this account',
      });
      expect(
        (await trigger(cloud, 'wf_hello', { action: 'invoke', action_args: { big: 'x'.repeat(70_000) } })).status,
      ).toBe(413);
      const token = await accessToken(cloud);
      const headers = { Authorization: `Bearer ${token}` };
      expect(
        (
          await call(cloud, 'POST', `/ibot/workflow/wf_hello?${account(cloud)}`, {
            headers: { ...headers, 'Content-Type': 'text/plain' },
            body: '{}',
          })
        ).status,
      ).toBe(400);
      expect(
        (
          await call(cloud, 'POST', `/ibot/workflow/%E0%A4%A?${account(cloud)}`, {
            headers: { ...headers, 'Content-Type': 'application/json' },
            body: '{}',
          })
        ).status,
      ).toBe(400);
    });

    it('answers 502 naming the URL when the workflow server cannot be reached', async () => {
      cloud.register('wf_gone', 'ws://127.0.0.1:1/nothing');
      const { status, body } = await trigger(cloud, 'wf_gone', { action: 'invoke' });
      expect(status).toBe(502);
      expect(String(body.message)).toMatch(
        /^could not open a session to ws:\/\/127\.0\.0\.1:1\/nothing: cannot connect/,
      );
    });

    it('register refuses a non-WebSocket URL and an empty id', () => {
      expect(() => cloud.register('wf_x', 'http://localhost/x')).toThrow('register wf_x with a ws:// or wss:// URL');
      expect(() => cloud.register('', helloUrl)).toThrow('a workflow id must have 1 to 256 characters');
    });
  });

  describe('device records, unknown paths, counters', () => {
    it('serves a device record with the fields 2.4.0 maps', async () => {
      const token = await accessToken(cloud);
      const { status, body } = await call(cloud, 'GET', `/relaypro/api/v1/device/dev-bob?${account(cloud)}`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(status).toBe(200);
      expect(body).toMatchObject({
        device_id: 'dev-bob',
        device_label: 'Bob',
        device_status: 'online',
        device_details: { device_info: { battery_level: 87 } },
      });
      expect(
        (
          await call(cloud, 'GET', `/relaypro/api/v1/device/dev-zed?${account(cloud)}`, {
            headers: { Authorization: `Bearer ${token}` },
          })
        ).status,
      ).toBe(404);
    });

    it('answers 404 to an unknown endpoint and counts every request by endpoint', async () => {
      expect((await call(cloud, 'GET', '/ibot/workflow/wf_hello')).status).toBe(404);
      expect((await call(cloud, 'DELETE', '/oauth2/token')).status).toBe(404);
      await accessToken(cloud);
      expect(cloud.calls).toEqual({
        token: 1,
        validate: 0,
        trigger: 0,
        device: 0,
        listWorkflows: 0,
        saveWorkflow: 0,
        deleteWorkflow: 0,
        other: 2,
      });
      expect(cloud.requests.map((request) => `${request.endpoint} ${request.status}`)).toEqual([
        'other 404',
        'other 404',
        'token 200',
      ]);
    });
  });

  describe('failures on demand', () => {
    it('failNext answers the given status (with Retry-After) for `times` API requests, leaving the token service alone', async () => {
      cloud.failNext({ status: 429, times: 2, retryAfterSecs: 3 });
      const token = await accessToken(cloud);
      const path = `/relaypro/api/v1/device/dev-bob?${account(cloud)}`;
      const first = await fetch(`${cloud.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
      expect(first.status).toBe(429);
      expect(first.headers.get('retry-after')).toBe('3');
      expect(await first.json()).toEqual({ message: 'Too Many Requests' });
      expect((await fetch(`${cloud.url}${path}`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(429);
      expect((await fetch(`${cloud.url}${path}`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    });

    it('failNext with a path fails only matching requests', async () => {
      cloud.failNext({ status: 503, path: '/oauth2/token' });
      expect((await grant(cloud)).status).toBe(503);
      expect((await grant(cloud)).status).toBe(200);
    });

    it('delayNext holds an answer back', async () => {
      cloud.delayNext(150, { path: '/oauth2/token' });
      const started = performance.now();
      await grant(cloud);
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    });
  });

  describe('sessions and close', () => {
    it('nextSession rejects after its timeout when nothing was triggered', async () => {
      await expect(cloud.nextSession(50)).rejects.toThrow(/no session opened within 50 ms/);
    });

    it('close() ends the sessions it opened and stops listening', async () => {
      await cloud.close();
      cloud = await RelayCloud.start({ simulator: { answers: () => undefined } }); // nobody answers: hello listens forever
      cloud.register('wf_hello', helloUrl);
      await trigger(cloud, 'wf_hello', { action: 'invoke' });
      const session = await cloud.nextSession();
      await session.simulator.waitFor((frame) => frame._type === 'wf_api_listen_request');
      const url = cloud.url;
      await cloud.close();
      const run = await session.finished;
      expect(run).toMatchObject({ terminated: false, closedBy: 'relay', code: 1000 });
      await expect(fetch(`${url}/oauth2/validate`)).rejects.toThrow();
    });

    it('close() during a delayed request answers nothing and resolves', async () => {
      cloud.delayNext(10_000, { path: '/oauth2/token' });
      const pending = grant(cloud).catch((error: unknown) => error);
      await new Promise<void>((resolve) => {
        const poll = () => (cloud.calls.token > 0 ? resolve() : setTimeout(poll, 5));
        poll();
      });
      await cloud.close();
      expect(await pending).toMatchObject({ name: 'TypeError', message: 'fetch failed' }); // the connection was cut
    });
  });
});
