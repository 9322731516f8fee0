import {
  createWorkflow,
  createWorkflowServer,
  Event,
  RelayApiError,
  relayFailureAnswer,
  type WorkflowServer,
} from '../../src';
import { RelayCloud } from '../../src/testing';
import hello from '../../src/workflows/hello';
import { memoryLogger } from '../helpers/memory-logger';
import { rejectionOf, startCloudClient, type CloudClient } from '../helpers/cloud-client';

/** Says the HTTP trigger's `text` arg on the device it started on, then terminates. */
const announce = createWorkflow((workflow) => {
  let text = '';
  workflow.on(Event.START, async ({ trigger }) => {
    const args = trigger.args.args as Record<string, string>;
    text = args.text ?? '(no text)';
    await workflow.startInteraction([trigger.args.source_uri], 'announce');
  });
  workflow.on(Event.INTERACTION_STARTED, async ({ source_uri: interaction }) => {
    await workflow.sayAndWait(interaction, text);
    await workflow.terminate();
  });
});

describe('RelayApi against the simulated Relay cloud', () => {
  let server: WorkflowServer;
  let base: string;
  let setup: CloudClient;

  beforeAll(async () => {
    server = createWorkflowServer({ logger: memoryLogger().logger, workflows: { hello, announce } });
    const { port } = await server.listen(0, '127.0.0.1');
    base = `ws://127.0.0.1:${port}`;
  });

  afterAll(() => server.close(0));

  beforeEach(async () => {
    setup = await startCloudClient({ simulator: { answers: ['Ana'] } });
    setup.cloud
      .register('wf_announce', `${base}/announce`)
      .register('wf_hello', `${base}/hello`, { args: { greeting: 'Welcome' } });
  });

  afterEach(() => setup.cloud.close());

  it("takes one target as a string, as 2.4.0's types do: triggerWorkflow(id, 'device', args)", async () => {
    const { api, cloud } = setup;
    const answer = await api.triggerWorkflow('wf_announce', '990007560012345', { text: 'Lunch is ready' });
    expect(answer).toMatchObject({ status: 'ok', target_device_ids: ['990007560012345'] });
    const session = await cloud.nextSession();
    expect((await session.finished).says).toEqual(['Lunch is ready']);
    expect(session).toMatchObject({ workflowId: 'wf_announce', deviceId: '990007560012345' });
    await expect(api.triggerWorkflow('wf_announce', '')).rejects.toMatchObject({ code: 'ERR_RELAY_API_ARGUMENT' });
  });

  it('triggers a workflow: the session runs it with the action_args as trigger.args.args', async () => {
    const { api, cloud } = setup;
    const answer = await api.triggerWorkflow('wf_announce', ['990007560012345'], { text: 'Lunch is ready' });
    expect(answer).toMatchObject({ status: 'ok', workflow_id: 'wf_announce', target_device_ids: ['990007560012345'] });
    const session = await cloud.nextSession();
    const run = await session.finished;
    expect(run.says).toEqual(['Lunch is ready']);
    expect(run.terminated).toBe(true);
    const start = run.transcript[0]?.frame;
    expect(start).toEqual({
      _type: 'wf_api_start_event',
      trigger: {
        type: 'http',
        args: { args: { text: 'Lunch is ready' }, source_uri: 'urn:relay-resource:name:device:Sim' },
      },
    });
    expect(session).toMatchObject({
      workflowId: 'wf_announce',
      deviceId: '990007560012345',
      actionArgs: { text: 'Lunch is ready' },
    });
  });

  it('runs hello from an HTTP trigger, with its registration args served to getVar', async () => {
    await setup.api.triggerWorkflow('wf_hello');
    const run = await (await setup.cloud.nextSession()).finished;
    expect(run.says).toEqual(['What is your name?', 'Welcome Ana!']);
    expect(run.transcript[0]?.frame).toMatchObject({ trigger: { type: 'http', args: { args: {} } } });
  });

  it('sends the documented request: POST, JSON body, bearer token, account in the query, a User-Agent', async () => {
    await setup.api.triggerWorkflow('wf_announce', undefined, { text: 'x' });
    const trigger = setup.cloud.requests.find((request) => request.endpoint === 'trigger');
    expect(trigger).toMatchObject({ method: 'POST', path: '/ibot/workflow/wf_announce', status: 200 });
    expect(trigger?.userAgent).toMatch(/^relay-heroku-workflows\/\d+\.\d+\.\d+ node\/v\d+/);
    // The cloud answers 401 without a valid bearer and 403 without the right subscriber_id/user_id,
    // so the 200 above shows both were sent.
    await setup.cloud.nextSession();
  });

  it('fetches a device record', async () => {
    const device = await setup.api.fetchDevice('990007560012345');
    expect(device).toMatchObject({
      device_id: '990007560012345',
      device_label: 'Sim',
      device_details: { device_info: { battery_level: 87 } },
    });
  });

  it('caches the access token: one grant (and one validate) for five calls', async () => {
    for (let i = 0; i < 5; i += 1) await setup.api.fetchDevice('990007560012345');
    expect(setup.cloud.calls).toMatchObject({ token: 1, validate: 1, device: 5 });
  });

  it('concurrent calls share one token request (single-flight)', async () => {
    await Promise.all(Array.from({ length: 8 }, () => setup.api.fetchDevice('990007560012345')));
    expect(setup.cloud.calls).toMatchObject({ token: 1, validate: 1, device: 8 });
  });

  it('gets a new token when the cached one nears its expiry', async () => {
    await setup.cloud.close();
    let clock = 1_000_000;
    setup = await startCloudClient({ tokenLifetimeSecs: 600 }, { now: () => clock });
    await setup.api.fetchDevice('990007560012345');
    clock += 500_000; // 100 s of the 600 s left: still outside the 60 s safety margin
    await setup.api.fetchDevice('990007560012345');
    expect(setup.cloud.calls.token).toBe(1);
    clock += 50_000; // 50 s left: inside the margin, so a new token
    await setup.api.fetchDevice('990007560012345');
    expect(setup.cloud.calls.token).toBe(2);
  });

  it('on a 401 (token revoked) gets one new token and retries the call once', async () => {
    await setup.api.fetchDevice('990007560012345');
    setup.cloud.expireTokens();
    await setup.api.fetchDevice('990007560012345');
    expect(setup.cloud.calls).toMatchObject({ token: 2, device: 3 });
  });

  it('concurrent calls that all get 401 share one new token', async () => {
    await setup.api.fetchDevice('990007560012345');
    setup.cloud.expireTokens();
    await Promise.all(Array.from({ length: 4 }, () => setup.api.fetchDevice('990007560012345')));
    expect(setup.cloud.calls).toMatchObject({ token: 2, device: 9 });
  });

  it('a persistent 401 is an ERR_RELAY_API_AUTH error after exactly 2 API attempts (no loop)', async () => {
    setup.cloud.failNext({ status: 401, times: Infinity, path: '/ibot/' });
    const error = await rejectionOf(setup.api.triggerWorkflow('wf_announce'));
    expect(error).toBeInstanceOf(RelayApiError);
    expect(error).toMatchObject({ call: 'triggerWorkflow', status: 401, code: 'ERR_RELAY_API_AUTH' });
    expect((error as Error).message).toMatch(
      /^triggerWorkflow failed: Relay answered HTTP 401 "Unauthorized"; .*RELAY_API_KEY/,
    );
    expect(setup.cloud.calls).toMatchObject({ trigger: 2, token: 2 });
    expect(setup.cloud.sessions).toHaveLength(0);
  });

  it('honours Retry-After on 429, then succeeds', async () => {
    setup.cloud.failNext({ status: 429, retryAfterSecs: 7, path: '/relaypro/' });
    await setup.api.fetchDevice('990007560012345');
    expect(setup.delays).toEqual([7000]);
    expect(setup.cloud.calls.device).toBe(2);
  });

  it('caps a long Retry-After at 30 s', async () => {
    setup.cloud.failNext({ status: 429, retryAfterSecs: 3600 });
    await setup.api.fetchDevice('990007560012345');
    expect(setup.delays).toEqual([30_000]);
  });

  it('retries 503 with jittered backoff, then succeeds', async () => {
    setup.cloud.failNext({ status: 503, times: 2 });
    const answer = await setup.api.triggerWorkflow('wf_announce', undefined, { text: 'hi' });
    expect(answer).toMatchObject({ status: 'ok' });
    expect(setup.cloud.calls.trigger).toBe(3);
    expect(setup.delays).toHaveLength(2);
    expect(setup.delays[0]).toBeLessThanOrEqual(250);
    expect(setup.delays[1]).toBeLessThanOrEqual(500);
    await setup.cloud.nextSession();
  });

  it('uses full jitter: the wait is random() times the step', async () => {
    const api = setup.client({ random: () => 0.5 });
    setup.cloud.failNext({ status: 502, times: 2 });
    await api.fetchDevice('990007560012345');
    expect(setup.delays).toEqual([125, 250]);
  });

  it.each([502, 503, 504])('gives up on a lasting %i after exactly 3 attempts', async (status) => {
    setup.cloud.failNext({ status, times: Infinity });
    const error = await rejectionOf(setup.api.triggerWorkflow('wf_announce'));
    expect(error).toMatchObject({ call: 'triggerWorkflow', status, code: 'ERR_RELAY_API_HTTP' });
    expect((error as Error).message).toContain(`HTTP ${status}`);
    expect((error as Error).message).toContain('after 3 attempts');
    expect(setup.cloud.calls.trigger).toBe(3);
  });

  it('takes maxAttempts', async () => {
    const api = setup.client({ maxAttempts: 5 });
    setup.cloud.failNext({ status: 503, times: Infinity });
    await rejectionOf(api.fetchDevice('990007560012345'));
    expect(setup.cloud.calls.device).toBe(5);
  });

  it('does not retry a 400, and says what to check', async () => {
    setup.cloud.failNext({ status: 400, message: 'action_args values must be strings' });
    const error = await rejectionOf(setup.api.triggerWorkflow('wf_announce'));
    expect(error).toMatchObject({
      status: 400,
      relayMessage: 'action_args values must be strings',
      code: 'ERR_RELAY_API_HTTP',
    });
    expect((error as Error).message).toBe(
      'triggerWorkflow failed: Relay answered HTTP 400 "action_args values must be strings"; check the arguments: action_args values must be strings and target ids Relay device ids',
    );
    expect(setup.cloud.calls.trigger).toBe(1);
    expect(setup.delays).toEqual([]);
  });

  it('an unknown workflow id is a 404 naming what to check, not retried', async () => {
    const error = await rejectionOf(setup.api.triggerWorkflow('wf_nope'));
    expect(error).toMatchObject({ status: 404, relayMessage: 'no workflow wf_nope on this account' });
    expect((error as Error).message).toContain('relay workflow:list');
    expect(setup.cloud.calls.trigger).toBe(1);
  });

  it('encodes the workflow id into the path', async () => {
    setup.cloud.register('wf a/b', `${base}/announce`);
    await setup.api.triggerWorkflow('wf a/b', undefined, { text: 'encoded' });
    expect(setup.cloud.requests.find((request) => request.endpoint === 'trigger')?.path).toBe(
      '/ibot/workflow/wf%20a%2Fb',
    );
    expect((await (await setup.cloud.nextSession()).finished).says).toEqual(['encoded']);
  });

  it('a timeout is ERR_RELAY_API_TIMEOUT; a trigger is not retried after one (Relay may have acted)', async () => {
    const api = setup.client({ timeoutMs: 100 });
    await api.fetchDevice('990007560012345'); // the token, outside the delay
    setup.cloud.delayNext(2_000, { times: 3 });
    const error = await rejectionOf(api.triggerWorkflow('wf_announce'));
    expect(error).toMatchObject({ call: 'triggerWorkflow', code: 'ERR_RELAY_API_TIMEOUT', status: undefined });
    expect((error as Error).message).toBe(
      `triggerWorkflow failed: Relay's API at ${new URL(setup.cloud.url).host}: no answer within 100 ms; check RELAY_API_URL, RELAY_ENV and the network; it was not retried, as Relay may have started the workflow already`,
    );
    expect(setup.cloud.calls.trigger).toBe(1);
    expect(setup.cloud.sessions).toHaveLength(0); // the cloud saw the caller hang up
  });

  it('a call past its deadlineMs is ERR_RELAY_API_DEADLINE, and the attempt in flight is cut', async () => {
    await setup.api.fetchDevice('990007560012345'); // the token, outside the delay
    setup.cloud.delayNext(2_000, { path: '/ibot/workflow' });
    const started = Date.now();
    const error = await rejectionOf(
      setup.api.triggerWorkflow('wf_announce', undefined, undefined, { deadlineMs: 200 }),
    );
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(error).toBeInstanceOf(RelayApiError);
    expect(error).toMatchObject({
      call: 'triggerWorkflow',
      code: 'ERR_RELAY_API_DEADLINE',
      deadlineMs: 200,
      status: undefined,
    });
    expect((error as Error).message).toMatch(/^triggerWorkflow failed: .*within the call's 200 ms deadline/);
    expect(setup.cloud.calls.trigger).toBe(1);
    expect(setup.cloud.sessions).toHaveLength(0); // the cloud saw the caller hang up
    expect(relayFailureAnswer(error as RelayApiError)).toEqual({
      answer: {
        status: 504,
        body: {
          error:
            'Relay did not accept the trigger within 0.2 s; the workflow may still start, so retry with the same Idempotency-Key only after checking',
        },
        keep: true,
      },
      outcome: 'Relay timed out',
      log: { code: 'ERR_RELAY_API_DEADLINE', hint: expect.stringContaining('deadline') },
    });
  });

  it('a deadline covers the token request too', async () => {
    setup.cloud.delayNext(2_000, { path: '/oauth2/token' });
    const error = await rejectionOf(setup.api.fetchDevice('990007560012345', { deadlineMs: 200 }));
    expect(error).toMatchObject({ call: 'fetchDevice', code: 'ERR_RELAY_API_DEADLINE' });
    expect(setup.cloud.calls.device).toBe(0);
  });

  it('a read that times out is retried, up to 3 attempts', async () => {
    const api = setup.client({ timeoutMs: 100 });
    await api.fetchDevice('990007560012345');
    setup.cloud.delayNext(2_000, { times: 3 });
    const error = await rejectionOf(api.fetchDevice('990007560012345'));
    expect(error).toMatchObject({ call: 'fetchDevice', code: 'ERR_RELAY_API_TIMEOUT' });
    expect((error as Error).message).toContain('after 3 attempts');
    expect(setup.cloud.calls.device).toBe(4);
  });

  it('a slow answer within the timeout succeeds', async () => {
    setup.cloud.delayNext(50);
    await expect(setup.api.fetchDevice('990007560012345')).resolves.toMatchObject({ device_id: '990007560012345' });
  });

  it('a network error (nothing listening) is retried, then ERR_RELAY_API_NETWORK', async () => {
    const url = setup.cloud.url;
    await setup.cloud.close();
    const api = setup.client({ apiUrl: url, authUrl: url });
    const error = await rejectionOf(api.triggerWorkflow('wf_announce'));
    expect(error).toMatchObject({ call: 'triggerWorkflow', code: 'ERR_RELAY_API_NETWORK', status: undefined });
    expect((error as Error).message).toMatch(
      /could not get an access token: the token service at 127\.0\.0\.1:\d+: the request failed with ECONNREFUSED after 3 attempts/,
    );
    expect(setup.delays).toHaveLength(2);
  });

  it('a trigger whose connection is refused (nothing was sent) is retried, then ERR_RELAY_API_NETWORK', async () => {
    const closed = await RelayCloud.start();
    const url = closed.url;
    await closed.close();
    const error = await rejectionOf(setup.client({ apiUrl: url }).triggerWorkflow('wf_announce'));
    expect(error).toMatchObject({ call: 'triggerWorkflow', code: 'ERR_RELAY_API_NETWORK' });
    expect((error as Error).message).toMatch(
      /^triggerWorkflow failed: Relay's API at 127\.0\.0\.1:\d+: the request failed with ECONNREFUSED after 3 attempts; check RELAY_API_URL/,
    );
    expect(setup.cloud.calls).toMatchObject({ token: 1, trigger: 0 });
  });

  it('a refused refresh token is ERR_RELAY_API_AUTH with advice, and no API call is made', async () => {
    const api = setup.client({ apiKey: 'not-the-right-refresh-token' });
    const error = await rejectionOf(api.triggerWorkflow('wf_announce'));
    expect(error).toMatchObject({
      code: 'ERR_RELAY_API_AUTH',
      status: 400,
      relayMessage: 'the refresh token is invalid or revoked',
    });
    expect((error as Error).message).toContain('relay token:generate');
    expect(setup.cloud.calls).toMatchObject({ token: 1, validate: 0, trigger: 0 });
  });

  it('a wrong client id (RELAY_ENV) is ERR_RELAY_API_AUTH', async () => {
    const error = await rejectionOf(setup.client({ clientId: 'rGGK996c' }).fetchDevice('990007560012345'));
    expect(error).toMatchObject({ code: 'ERR_RELAY_API_AUTH', status: 401 });
  });

  it('a call without credentials fails with ERR_RELAY_API_CONFIG naming the variables, sending nothing', async () => {
    const error = await rejectionOf(setup.client({ apiKey: undefined }).triggerWorkflow('wf_announce'));
    expect(error).toMatchObject({ code: 'ERR_RELAY_API_CONFIG', call: 'triggerWorkflow' });
    expect((error as Error).message).toContain('RELAY_API_KEY is not set');
    expect(setup.cloud.requests).toEqual([]);
  });

  it('refuses bad arguments before sending anything', async () => {
    const api = setup.api;
    await expect(api.triggerWorkflow('')).rejects.toMatchObject({ code: 'ERR_RELAY_API_ARGUMENT' });
    await expect(api.triggerWorkflow('wf_announce', ['ok', ''])).rejects.toMatchObject({
      code: 'ERR_RELAY_API_ARGUMENT',
    });
    await expect(
      api.triggerWorkflow('wf_announce', undefined, { n: 5 } as unknown as Record<string, string>),
    ).rejects.toThrow('triggerWorkflow: args.n must be a string');
    await expect(api.fetchDevice(undefined as unknown as string)).rejects.toMatchObject({
      code: 'ERR_RELAY_API_ARGUMENT',
      call: 'fetchDevice',
    });
    expect(setup.cloud.requests).toEqual([]);
  });

  it('an answer larger than maxBodyBytes is ERR_RELAY_API_RESPONSE', async () => {
    const error = await rejectionOf(setup.client({ maxBodyBytes: 100 }).fetchDevice('990007560012345'));
    expect(error).toMatchObject({ code: 'ERR_RELAY_API_RESPONSE', call: 'fetchDevice' });
    expect((error as Error).message).toContain('larger than 100 bytes');
  });
});
