import { RelayApiError, type WorkflowRowInput } from '../../src';
import { RELAY_LIMITS } from '../../src/api/relay-api';
import { rejectionOf, startCloudClient, type CloudClient } from '../helpers/cloud-client';

const ROW: WorkflowRowInput = {
  name: 'hello',
  options: { transient: true, hidden: false },
  config: {
    trigger: { start: { workflow: { uri: 'wss://demo.example.com/hello', args: {} } }, on_phrases: ['hello'] },
  },
  install_rule: 'urn:relay-resource:all:device',
};

/** A fetch that answers GET /ibot/workflow with `body` (as a hostile or broken Relay would), and passes the rest on. */
function listAnswering(body: unknown): typeof fetch {
  return (input, init) =>
    (input instanceof Request ? input.url : input.toString()).includes('/ibot/workflow?') &&
    (init?.method ?? 'GET') === 'GET'
      ? Promise.resolve(new Response(JSON.stringify(body), { status: 200 }))
      : fetch(input, init);
}

describe('RelayApi workflow registrations against the simulated cloud', () => {
  let setup: CloudClient;

  afterEach(() => setup.cloud.close());

  it('lists, creates, updates (POST with workflow_id) and deletes rows', async () => {
    setup = await startCloudClient();
    const { api, cloud } = setup;
    expect(await api.listWorkflows()).toEqual([]);
    const created = await api.saveWorkflow(ROW);
    expect(created?.workflow_id).toMatch(/^wf_hello_\w+$/);
    const id = created!.workflow_id;
    await api.saveWorkflow({ ...ROW, workflow_id: id, options: { transient: false, hidden: false } });
    const [row, ...rest] = await api.listWorkflows();
    expect(rest).toEqual([]);
    expect(row).toEqual({ ...ROW, workflow_id: id, options: { transient: false, hidden: false } });
    await api.deleteWorkflow(id);
    expect(await api.listWorkflows()).toEqual([]);
    expect(cloud.calls).toMatchObject({ listWorkflows: 3, saveWorkflow: 2, deleteWorkflow: 1 });
  });

  it('after an OpenID Connect sign-in, lists, saves and deletes with subscriber_id alone, as relay CLI 1.x does', async () => {
    setup = await startCloudClient();
    const api = setup.client({ clientId: undefined, ...setup.cloud.oidcClientOptions });
    const created = await api.saveWorkflow(ROW);
    expect((await api.listWorkflows()).map((row) => row.workflow_id)).toEqual([created?.workflow_id]);
    await api.deleteWorkflow(created!.workflow_id);
    const calls = setup.cloud.requests.filter((request) => request.path.startsWith('/ibot/workflow'));
    expect(calls.map((request) => [request.method, request.status, request.userId])).toEqual([
      ['POST', 200, undefined],
      ['GET', 200, undefined],
      ['DELETE', 200, undefined],
    ]);
  });

  it('parses a config Relay sends as a JSON string', async () => {
    setup = await startCloudClient({ workflowConfigAsString: true });
    await setup.api.saveWorkflow(ROW);
    const [row] = await setup.api.listWorkflows();
    expect(row?.config).toEqual(ROW.config);
  });

  it('copies hostile rows without prototypes, and leaves out rows without a usable workflow_id', async () => {
    setup = await startCloudClient();
    const hostile = JSON.parse(
      '{"results": [{"workflow_id": "wf_a", "__proto__": {"polluted": true}, "config": "{\\"constructor\\": 1}"},' +
        ' {"name": "no id"}, {"workflow_id": "wf_\\u0007bell"}, {"workflow_id": 7}, "text"]}',
    ) as unknown;
    const api = setup.client({ fetch: listAnswering(hostile) });
    const rows = await api.listWorkflows();
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(Object.getPrototypeOf(row)).toBeNull();
    expect(Object.hasOwn(row!, '__proto__')).toBe(true);
    expect((row as unknown as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(row!.config)).toBeNull();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it.each([
    ['no results list', { rows: [] }],
    ['more rows than the bound', { results: Array.from({ length: RELAY_LIMITS.maxWorkflows + 1 }, () => ({})) }],
  ])('refuses a list with %s (ERR_RELAY_API_RESPONSE)', async (_case, body) => {
    setup = await startCloudClient();
    const error = await rejectionOf(setup.client({ fetch: listAnswering(body) }).listWorkflows());
    expect(error).toMatchObject({ code: 'ERR_RELAY_API_RESPONSE', call: 'listWorkflows' });
  });

  it('retries a list, an update and a delete after 503, and a create too (Relay answered)', async () => {
    setup = await startCloudClient();
    const { api, cloud } = setup;
    cloud.failNext({ status: 503, path: '/ibot/workflow' });
    const id = (await api.saveWorkflow(ROW))!.workflow_id;
    for (const call of [
      () => api.listWorkflows(),
      () => api.saveWorkflow({ ...ROW, workflow_id: id }),
      () => api.deleteWorkflow(id),
    ]) {
      cloud.failNext({ status: 503, path: '/ibot/workflow' });
      await call();
    }
    expect(cloud.calls).toMatchObject({ listWorkflows: 2, saveWorkflow: 4, deleteWorkflow: 2 });
  });

  it('does not retry a create after a timeout (Relay may have created it), but retries an update', async () => {
    setup = await startCloudClient({}, { timeoutMs: 200 });
    const { api, cloud } = setup;
    const id = (await api.saveWorkflow(ROW))!.workflow_id;
    cloud.delayNext(1_000, { path: '/ibot/workflow' });
    const error = await rejectionOf(api.saveWorkflow(ROW));
    expect(error).toBeInstanceOf(RelayApiError);
    expect(error).toMatchObject({ code: 'ERR_RELAY_API_TIMEOUT', call: 'saveWorkflow' });
    expect((error as Error).message).toContain(
      'it was not retried, as Relay may have created the registration already',
    );
    expect(cloud.calls.saveWorkflow).toBe(2);
    cloud.delayNext(1_000, { path: '/ibot/workflow' });
    await api.saveWorkflow({ ...ROW, workflow_id: id });
    expect(cloud.calls.saveWorkflow).toBe(4);
  });

  it('reports a refused save or an unknown delete as a RelayApiError naming the call', async () => {
    setup = await startCloudClient();
    const refused = await rejectionOf(setup.api.saveWorkflow({ name: 'x', config: {} }));
    expect(refused).toMatchObject({ call: 'saveWorkflow', status: 400, code: 'ERR_RELAY_API_HTTP' });
    expect((refused as Error).message).toContain("check the workflow's registration");
    const missing = await rejectionOf(setup.api.deleteWorkflow('wf_nothing'));
    expect(missing).toMatchObject({ call: 'deleteWorkflow', status: 404 });
    expect((missing as Error).message).toContain('check the workflow id');
    const big = await rejectionOf(setup.api.saveWorkflow({ ...ROW, name: 'x'.repeat(RELAY_LIMITS.maxWorkflowBytes) }));
    expect(big).toMatchObject({ code: 'ERR_RELAY_API_ARGUMENT' });
  });

  it('the simulated cloud bounds the rows it keeps, and answers an unknown workflow_id with 404', async () => {
    setup = await startCloudClient({ maxWorkflows: 2 });
    const { api } = setup;
    await api.saveWorkflow(ROW);
    const second = (await api.saveWorkflow(ROW))!.workflow_id;
    expect(await rejectionOf(api.saveWorkflow(ROW))).toMatchObject({ status: 409 });
    await api.saveWorkflow({ ...ROW, workflow_id: second, name: 'renamed' });
    expect(await rejectionOf(api.saveWorkflow({ ...ROW, workflow_id: 'wf_unknown' }))).toMatchObject({ status: 404 });
    expect((await api.listWorkflows()).map((row) => row.name)).toEqual(['hello', 'renamed']);
  });
});
