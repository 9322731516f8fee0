import { createWorkflowServer, RelayApi, Uri, type Config, type RelayApiOptions, type WorkflowServer } from '../../src';
import { routes } from '../../src/routes';
import { workflows } from '../../src/workflows';
import { RelayCloud } from '../../src/testing';
import { memoryLogger } from '../helpers/memory-logger';

const SECRET = 'hook-test-secret-5c1d0e8a2b7f4a63';
const WORKFLOW_ID = 'wf_broadcast_t3st';
// Words that must never reach a log line: each is unique to what the caller sent.
const GROUP = 'Floor 2 qv8w';
/** A group the simulated Relay server knows, without members: the workflow gives up on it. */
const EMPTY_GROUP = 'Night shift k3jd';
const MESSAGE = 'Door 4b is open zx91';
const IDEMPOTENCY_KEY = 'idem-7d4e1f0c-key';
const DEVICES = [
  { id: '990007560011111', name: 'Ana' },
  { id: '990007560022222', name: 'Ben' },
];

interface Hook {
  cloud: RelayCloud;
  server: WorkflowServer;
  logs: ReturnType<typeof memoryLogger>;
  /** Each wait between API attempts the client asked for (none is slept). */
  delays: number[];
  post(
    body: unknown,
    options?: { auth?: string | null; headers?: Record<string, string> },
  ): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>;
}

const open: Hook[] = [];

/**
 * A simulated Relay cloud with the broadcast workflow registered under WORKFLOW_ID, and this
 * app's server (its routes and workflows) on port 0 with a RelayApi aimed at that cloud.
 */
async function startHook({
  config = {},
  api = {},
  withApi = true,
}: { config?: Partial<Config>; api?: Partial<RelayApiOptions>; withApi?: boolean } = {}): Promise<Hook> {
  const cloud = await RelayCloud.start({
    devices: DEVICES,
    simulator: { groups: { [GROUP]: ['Bob', 'Carol'], [EMPTY_GROUP]: [] } },
  });
  const logs = memoryLogger('debug');
  const delays: number[] = [];
  const client = new RelayApi({
    ...cloud.clientOptions,
    logger: logs.logger.child({ component: 'relay-api' }),
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    ...api,
  });
  const server = createWorkflowServer({
    logger: logs.logger,
    config: { webhookSecret: SECRET, broadcastWorkflowId: WORKFLOW_ID, ...config },
    ...(withApi ? { api: client } : {}),
    routes,
    workflows,
  });
  const hook: Hook = { cloud, server, logs, delays, post: () => Promise.reject(new Error('not listening')) };
  open.push(hook);
  const { port } = await server.listen(0, '127.0.0.1');
  cloud.register(WORKFLOW_ID, `ws://127.0.0.1:${port}/broadcast`);
  hook.post = async (body, { auth = SECRET, headers = {} } = {}) => {
    const response = await fetch(`http://127.0.0.1:${port}/hooks/broadcast`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(auth === null ? {} : { authorization: `Bearer ${auth}` }),
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  };
  return hook;
}

/** The hook's own log lines. */
const hookLines = (hook: Hook) => hook.logs.lines().filter((line) => line.msg === 'broadcast hook answered');

afterEach(async () => {
  for (const hook of open.splice(0)) {
    await hook.server.close(0);
    await hook.cloud.close();
  }
});

describe('POST /hooks/broadcast, end to end against the simulated Relay cloud', () => {
  it('triggers the broadcast workflow: the cloud opens a session and the group gets the message; 202 with the workflow id', async () => {
    const hook = await startHook();
    const answer = await hook.post(
      { group: GROUP, message: MESSAGE, timeout_secs: 30 },
      { headers: { 'x-request-id': 'hook-e2e-1' } },
    );
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({ workflow_id: WORKFLOW_ID });
    const session = await hook.cloud.nextSession();
    expect(session).toMatchObject({
      workflowId: WORKFLOW_ID,
      deviceId: DEVICES[0]?.id,
      actionArgs: { group: GROUP, message: MESSAGE, timeout_secs: '30' },
    });
    const run = await session.finished;
    expect(run.notifications).toEqual([
      expect.objectContaining({
        type: 'broadcast',
        text: MESSAGE,
        target: [Uri.groupName(GROUP)],
        acknowledgedBy: ['Bob', 'Carol'].map(Uri.deviceName),
      }),
    ]);
    expect(run.timers).toEqual([expect.objectContaining({ delayMs: 30_000, cleared: true })]);
    expect(run.terminated).toBe(true);
    expect(hook.cloud.calls).toMatchObject({ token: 1, validate: 1, trigger: 1 });
    expect(hookLines(hook)).toEqual([
      expect.objectContaining({
        level: 'info',
        outcome: 'triggered',
        status: 202,
        workflowId: WORKFLOW_ID,
        requestId: 'hook-e2e-1',
      }),
    ]);
  });

  it('runs the workflow on each of device_ids', async () => {
    const hook = await startHook();
    const ids = DEVICES.map(({ id }) => id);
    expect((await hook.post({ group: GROUP, message: MESSAGE, device_ids: ids })).status).toBe(202);
    const sessions = [await hook.cloud.nextSession(), await hook.cloud.nextSession()];
    expect(sessions.map(({ deviceId }) => deviceId).sort()).toEqual([...ids].sort());
    expect(hook.cloud.calls.trigger).toBe(1);
  });

  it('gets a new access token once when Relay answers 401 to the one it has, and succeeds', async () => {
    const hook = await startHook();
    expect((await hook.post({ group: GROUP, message: MESSAGE })).status).toBe(202);
    expect(hook.cloud.calls).toMatchObject({ token: 1, trigger: 1 });
    hook.cloud.expireTokens();
    const answer = await hook.post({ group: GROUP, message: MESSAGE });
    expect(answer).toMatchObject({ status: 202, body: { workflow_id: WORKFLOW_ID } });
    expect(hook.cloud.calls).toMatchObject({ token: 2, trigger: 3 });
    expect(hook.cloud.requests.filter(({ endpoint }) => endpoint === 'trigger').map(({ status }) => status)).toEqual([
      200, 401, 200,
    ]);
    expect(hook.cloud.sessions).toHaveLength(2);
  });

  it('retries 503s from Relay, then answers 202 after the third attempt', async () => {
    const hook = await startHook();
    hook.cloud.failNext({ status: 503, times: 2 });
    const answer = await hook.post({ group: GROUP, message: MESSAGE });
    expect(answer.status).toBe(202);
    expect(hook.cloud.calls.trigger).toBe(3);
    expect(hook.delays).toHaveLength(2);
    expect(hook.cloud.sessions).toHaveLength(1);
  });

  it('answers a repeated Idempotency-Key like the first call and triggers once', async () => {
    const hook = await startHook();
    const headers = { 'idempotency-key': IDEMPOTENCY_KEY };
    const first = await hook.post({ group: GROUP, message: MESSAGE }, { headers });
    const again = await hook.post({ group: GROUP, message: MESSAGE }, { headers });
    expect(first).toMatchObject({ status: 202, body: { workflow_id: WORKFLOW_ID } });
    expect(again.status).toBe(first.status);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(hook.cloud.calls.trigger).toBe(1);
    expect(hook.cloud.sessions).toHaveLength(1);
    expect(hookLines(hook).map(({ outcome }) => outcome)).toEqual(['triggered', 'replayed']);
    // Another key is another call.
    expect(
      (await hook.post({ group: GROUP, message: MESSAGE }, { headers: { 'idempotency-key': `${IDEMPOTENCY_KEY}-2` } }))
        .status,
    ).toBe(202);
    expect(hook.cloud.calls.trigger).toBe(2);
  });

  it('answers 409 to a call with the key of one still running, and triggers once', async () => {
    const hook = await startHook();
    hook.cloud.delayNext(300, { path: '/ibot/workflow' });
    const headers = { 'idempotency-key': IDEMPOTENCY_KEY };
    const answers = await Promise.all([
      hook.post({ group: GROUP, message: MESSAGE }, { headers }),
      hook.post({ group: GROUP, message: MESSAGE }, { headers }),
    ]);
    expect(answers.map(({ status }) => status).sort()).toEqual([202, 409]);
    expect(hook.cloud.calls.trigger).toBe(1);
    expect(
      hookLines(hook)
        .map(({ outcome }) => outcome)
        .sort(),
    ).toEqual(['not triggered', 'triggered']);
  });

  it('does not keep a 502: a retry with the same key triggers afresh once Relay is back', async () => {
    const hook = await startHook();
    hook.cloud.failNext({ status: 503, times: 3 });
    const headers = { 'idempotency-key': IDEMPOTENCY_KEY };
    expect((await hook.post({ group: GROUP, message: MESSAGE }, { headers })).status).toBe(502);
    expect((await hook.post({ group: GROUP, message: MESSAGE }, { headers })).status).toBe(202);
    expect(hook.cloud.calls.trigger).toBe(4);
  });

  it('answers 502 with Relay status 503 when the API stays down after 3 attempts', async () => {
    const hook = await startHook();
    hook.cloud.failNext({ status: 503, times: Infinity });
    const answer = await hook.post({ group: GROUP, message: MESSAGE }, { headers: { 'x-request-id': 'hook-down-1' } });
    expect(answer.status).toBe(502);
    expect(answer.body).toMatchObject({ relay_status: 503, error: 'Relay answered HTTP 503 "Service Unavailable"' });
    expect(hook.cloud.calls.trigger).toBe(3);
    expect(hook.cloud.sessions).toHaveLength(0);
    expect(hookLines(hook)).toEqual([
      expect.objectContaining({
        level: 'warn',
        outcome: 'Relay refused',
        status: 502,
        relayStatus: 503,
        code: 'ERR_RELAY_API_HTTP',
        workflowId: WORKFLOW_ID,
        requestId: 'hook-down-1',
      }),
    ]);
  });

  it('answers 502 with Relay status 404, without retrying, when Relay does not know the workflow id', async () => {
    const hook = await startHook({ config: { broadcastWorkflowId: 'wf_not_registered' } });
    const answer = await hook.post({ group: GROUP, message: MESSAGE });
    expect(answer).toMatchObject({ status: 502, body: { relay_status: 404 } });
    expect(hook.cloud.calls.trigger).toBe(1);
    expect(hookLines(hook)).toEqual([
      expect.objectContaining({ relayStatus: 404, hint: expect.stringContaining('relay workflow:list') }),
    ]);
  });

  it('answers 502 without a Relay status when the API cannot be reached', async () => {
    const hook = await startHook({ api: { apiUrl: 'http://127.0.0.1:1', authUrl: 'http://127.0.0.1:1' } });
    const answer = await hook.post({ group: GROUP, message: MESSAGE });
    expect(answer).toEqual({
      status: 502,
      headers: expect.anything(),
      body: { error: "Relay's API could not be reached" },
    });
    expect(hookLines(hook)).toEqual([
      expect.objectContaining({ outcome: 'Relay unreachable', code: 'ERR_RELAY_API_NETWORK' }),
    ]);
  });

  it('keeps a 504 under its Idempotency-Key: Relay may have started the workflow, so a retry does not trigger again', async () => {
    const hook = await startHook({ api: { timeoutMs: 300 } });
    hook.cloud.delayNext(5_000, { path: '/ibot/workflow' });
    const headers = { 'idempotency-key': IDEMPOTENCY_KEY };
    expect((await hook.post({ group: GROUP, message: MESSAGE }, { headers })).status).toBe(504);
    const retry = await hook.post({ group: GROUP, message: MESSAGE }, { headers });
    expect(retry.status).toBe(504);
    expect(hook.cloud.calls.trigger).toBe(1);
  });

  it('answers 504 when Relay does not answer the trigger in time, and does not retry it', async () => {
    const hook = await startHook({ api: { timeoutMs: 300 } });
    hook.cloud.delayNext(5_000, { path: '/ibot/workflow' });
    const answer = await hook.post({ group: GROUP, message: MESSAGE });
    expect(answer.status).toBe(504);
    expect(answer.body.error).toMatch(/did not answer in time/);
    expect(hook.cloud.calls.trigger).toBe(1);
    expect(hookLines(hook)).toEqual([
      expect.objectContaining({
        level: 'warn',
        outcome: 'Relay timed out',
        status: 504,
        code: 'ERR_RELAY_API_TIMEOUT',
      }),
    ]);
  });
});

describe('POST /hooks/broadcast refuses bad calls before triggering anything', () => {
  it.each([
    ["body must have required property 'group'", { message: MESSAGE }],
    ["body must have required property 'message'", { group: GROUP }],
    ['body/group must be string', { group: 7, message: MESSAGE }],
    ['body/message must NOT have fewer than 1 characters', { group: GROUP, message: '' }],
    ['body/message must NOT have more than 1000 characters', { group: GROUP, message: 'x'.repeat(1001) }],
    ['body/timeout_secs must be >= 1', { group: GROUP, message: MESSAGE, timeout_secs: 0 }],
    ['body/timeout_secs must be integer', { group: GROUP, message: MESSAGE, timeout_secs: 1.5 }],
    ['body/timeout_secs must be integer', { group: GROUP, message: MESSAGE, timeout_secs: '30' }],
    ['body/device_ids must be array', { group: GROUP, message: MESSAGE, device_ids: 'dev' }],
    [
      'body/device_ids must NOT have more than 50 items',
      { group: GROUP, message: MESSAGE, device_ids: Array.from({ length: 51 }, (_, i) => `d${i}`) },
    ],
    ['body/device_ids/0 must be string', { group: GROUP, message: MESSAGE, device_ids: [5] }],
    [
      'body/timeout_sec is not a field of this hook; it takes group, message, timeout_secs, device_ids',
      { group: GROUP, message: MESSAGE, timeout_sec: 30 },
    ],
    ['body/constructor is not a field of this hook', { group: GROUP, message: MESSAGE, constructor: 1 }],
    ['body must be object', [GROUP, MESSAGE]],
  ])('400: %s', async (error, body) => {
    const hook = await startHook();
    const answer = await hook.post(body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toEqual(expect.stringContaining(error));
    expect(hook.cloud.calls).toMatchObject({ token: 0, trigger: 0 });
  });

  it.each(['{"group": "x",', '{"group":"x","message":"y","__proto__":{"admin":true}}'])(
    '400 for JSON that does not parse or pollutes prototypes: %s',
    async (text) => {
      const hook = await startHook();
      const answer = await hook.post(text);
      expect(answer.status).toBe(400);
      expect(hook.cloud.calls.trigger).toBe(0);
    },
  );

  it.each([
    ['no Authorization header', null],
    ['a wrong secret', `${SECRET}x`],
    ['an empty secret', ''],
  ])('401 with %s, whatever the body, and nothing triggered', async (_what, auth) => {
    const hook = await startHook();
    for (const body of [{ group: GROUP, message: MESSAGE }, { nonsense: true }, 'x'.repeat(20_000)]) {
      const answer = await hook.post(body, { auth });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect(hook.cloud.calls).toMatchObject({ token: 0, trigger: 0 });
    expect(hook.cloud.sessions).toHaveLength(0);
  });

  it('413 for a body over 16 KiB', async () => {
    const hook = await startHook();
    const answer = await hook.post({ group: GROUP, message: 'x'.repeat(17 * 1024) });
    expect(answer.status).toBe(413);
    expect(hook.cloud.calls.trigger).toBe(0);
  });

  it('415 for a body that is not JSON', async () => {
    const hook = await startHook();
    const answer = await hook.post(`group=${GROUP}`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(answer.status).toBe(415);
    const text = await hook.post(MESSAGE, { headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(hook.cloud.calls.trigger).toBe(0);
  });

  it('400 naming the header for an Idempotency-Key over 512 characters', async () => {
    const hook = await startHook();
    const answer = await hook.post(
      { group: GROUP, message: MESSAGE },
      { headers: { 'idempotency-key': 'k'.repeat(513) } },
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/^Idempotency-Key: /);
    expect(hook.cloud.calls.trigger).toBe(0);
  });
});

describe('POST /hooks/broadcast is off until it is configured', () => {
  it('503 naming every missing setting when nothing is set, whatever the caller sends', async () => {
    const hook = await startHook({
      config: { webhookSecret: undefined, broadcastWorkflowId: undefined },
      withApi: false,
    });
    expect(hook.server.api).toBeUndefined();
    for (const auth of [null, SECRET]) {
      const answer = await hook.post({ group: GROUP, message: MESSAGE }, { auth });
      expect(answer.status).toBe(503);
      for (const name of ['WEBHOOK_SECRET', 'RELAY_API_KEY', 'RELAY_SUBSCRIBER_ID', 'BROADCAST_WORKFLOW_ID'])
        expect(answer.body.error).toContain(name);
    }
    expect(hook.cloud.calls).toMatchObject({ token: 0, trigger: 0 });
  });

  it('with the secret set, 401 for a wrong one, and 503 naming only what is missing for the right one', async () => {
    const hook = await startHook({ config: { broadcastWorkflowId: undefined } });
    expect((await hook.post({ group: GROUP, message: MESSAGE }, { auth: 'not-the-secret-at-all' })).status).toBe(401);
    const answer = await hook.post({ group: GROUP, message: MESSAGE });
    expect(answer.status).toBe(503);
    expect(answer.body.error).toContain('BROADCAST_WORKFLOW_ID');
    expect(answer.body.error).not.toContain('WEBHOOK_SECRET');
    expect(answer.body.error).not.toContain('RELAY_API_KEY');
  });

  it('503 naming the API settings when only they are unset', async () => {
    const hook = await startHook({ withApi: false });
    const answer = await hook.post({ group: GROUP, message: MESSAGE });
    expect(answer.status).toBe(503);
    expect(answer.body.error).toMatch(/RELAY_API_KEY and RELAY_SUBSCRIBER_ID/);
    expect(answer.body.error).not.toContain('BROADCAST_WORKFLOW_ID');
  });
});

describe('what POST /hooks/broadcast logs', () => {
  it('never what the caller sent (group, message, device ids, key) nor a secret, even at debug', async () => {
    const hook = await startHook();
    const body = { group: GROUP, message: MESSAGE, device_ids: [DEVICES[1]?.id ?? ''] };
    const headers = { 'idempotency-key': IDEMPOTENCY_KEY };
    expect((await hook.post(body, { headers })).status).toBe(202);
    await (
      await hook.cloud.nextSession()
    ).finished;
    expect((await hook.post(body, { headers })).status).toBe(202);
    // A group without members: the broadcast workflow gives up, and its warning names no group.
    expect((await hook.post({ group: EMPTY_GROUP, message: MESSAGE })).status).toBe(202);
    await (
      await hook.cloud.nextSession()
    ).finished;
    expect(hook.logs.lines().map(({ msg }) => msg)).toContain('broadcast not sent: the group has no members');
    hook.cloud.failNext({ status: 400, message: `bad group ${GROUP}: ${MESSAGE}` });
    expect((await hook.post(body)).status).toBe(502);
    hook.cloud.expireTokens();
    hook.cloud.failNext({ status: 503, times: Infinity });
    expect((await hook.post(body)).status).toBe(502);
    expect((await hook.post({ ...body, extra: MESSAGE })).status).toBe(400);
    expect((await hook.post(body, { auth: `${MESSAGE}-wrong` })).status).toBe(401);

    expect(hookLines(hook).map(({ outcome }) => outcome)).toEqual([
      'triggered',
      'replayed',
      'triggered',
      'Relay refused',
      'Relay refused',
    ]);
    const text = hook.logs.text();
    expect(text).toContain('"level":"debug"');
    for (const word of [
      MESSAGE,
      'zx91',
      GROUP,
      'qv8w',
      EMPTY_GROUP,
      'k3jd',
      IDEMPOTENCY_KEY,
      DEVICES[1]?.id ?? '',
      SECRET,
      hook.cloud.apiKey,
    ])
      expect(text).not.toContain(word);
  });
});
