import { createWorkflowServer, type WorkflowServer } from '../../src';
import type { Config } from '../../src/config';
import { REGISTRATIONS_FAILED, REGISTRATIONS_READ } from '../../src/http/registration-status';
import type { StatusReport } from '../../src/http/status';
import { desiredRow } from '../../src/registrations';
import type { Registration, WorkflowModule } from '../../src/relay/workflow-registry';
import { startCloudClient, type CloudClient } from '../helpers/cloud-client';
import { get } from '../helpers/get';
import { memoryLogger, type MemoryLogger } from '../helpers/memory-logger';
import { FAKE_TIMERS } from '../helpers/relay-peer';

const HOST = 'demo.example.com';
const PUBLIC = { host: HOST, 'x-forwarded-proto': 'https' };
const MINUTE = 60_000;

function registration(phrase: string, args: Registration['args'] = { greeting: 'Hi' }): Registration {
  return { description: `says ${phrase}`, trigger: { type: 'phrase', phrases: [phrase] }, args };
}

const workflowModule = (reg: Registration): WorkflowModule => ({ default: () => undefined, registration: reg });

const WORKFLOWS = {
  synced: workflowModule(registration('synced')),
  changed: workflowModule(registration('changed')),
  missing: workflowModule(registration('missing')),
};

const TARGET = { publicHost: HOST, workflowToken: undefined, install: { type: 'all' } as const };

/** Stores a row at the simulated cloud as `npm run register` would have. */
function seed(cloud: CloudClient['cloud'], name: string, reg: Registration, publicHost = HOST): void {
  const answer = cloud.registrations.save(JSON.stringify(desiredRow(name, reg, { ...TARGET, publicHost })));
  expect(answer.status).toBe(200);
}

let cc: CloudClient;
let server: WorkflowServer | undefined;
let logs: MemoryLogger;

beforeEach(async () => {
  jest.useFakeTimers(FAKE_TIMERS);
  cc = await startCloudClient();
  logs = memoryLogger('debug');
});

afterEach(async () => {
  await server?.close(0);
  server = undefined;
  await cc.cloud.close();
  jest.useRealTimers();
});

async function start(config: Partial<Config> = {}): Promise<number> {
  server = createWorkflowServer({
    logger: logs.logger,
    api: cc.api,
    workflows: WORKFLOWS,
    config: { publicUrl: `https://${HOST}`, relayInstall: { type: 'all' }, ...config },
  });
  return (await server.listen(0, '127.0.0.1')).port;
}

async function report(port: number): Promise<StatusReport> {
  return JSON.parse((await get(port, '/', { ...PUBLIC, accept: 'application/json' })).body) as StatusReport;
}

function states(status: StatusReport): Record<string, unknown> {
  return Object.fromEntries(status.workflows.map(({ name, registrationState }) => [name, registrationState]));
}

/** Lets the first read begin (a second after listen) and resolves once it is done. */
async function firstRead(message = REGISTRATIONS_READ): Promise<void> {
  const done = logs.logged(message);
  await jest.advanceTimersByTimeAsync(1_000);
  await done;
}

describe('the status page with API credentials: registration state read from Relay', () => {
  it('says "checking…" until the first read, then in step, differs (with the fields) or not registered', async () => {
    seed(cc.cloud, 'synced', registration('synced'));
    seed(cc.cloud, 'changed', registration('changed', { greeting: 'Bye' }));
    seed(cc.cloud, 'gone', registration('gone'));
    seed(cc.cloud, 'elsewhere', registration('elsewhere'), 'other.example.com');
    const port = await start();

    const before = await report(port);
    expect(states(before)).toEqual({
      synced: { state: 'checking' },
      changed: { state: 'checking' },
      missing: { state: 'checking' },
    });
    expect((await get(port, '/', PUBLIC)).body).toContain('Relay: checking…');
    expect(cc.cloud.calls.listWorkflows).toBe(0);

    await firstRead();
    const after = await report(port);
    expect(states(after)).toEqual({
      synced: { state: 'in-step' },
      changed: { state: 'differs', fields: ['args'] },
      missing: { state: 'not-registered' },
    });
    expect(after.registrations).toEqual({
      checkedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      error: null,
      leftOver: ['gone'],
      foreign: 1,
    });
    const page = (await get(port, '/', PUBLIC)).body;
    expect(page).toContain('<p class="state in-step">Relay: registered, in step</p>');
    expect(page).toContain('<p class="state differs">Relay: differs: args</p>');
    expect(page).toContain('<p class="state not-registered">Relay: not registered</p>');
    expect(page).toContain('<code>gone</code>');
    // With credentials the page does not offer the manual commands.
    expect(page).not.toContain('<pre class="command">');
  });

  it('with WORKFLOW_SECRET, rows registered with the secret are in step and a rotated one differs, value never shown', async () => {
    const secret = 'current-secret-4f1c9a7e2b';
    const withSecret = (value: string) => ({ ...TARGET, workflowSecret: value });
    for (const [name, value] of [
      ['synced', secret],
      ['changed', 'previous-secret-77d0e3aa'],
    ] as const) {
      const row = desiredRow(name, registration(name), withSecret(value));
      expect(cc.cloud.registrations.save(JSON.stringify(row)).status).toBe(200);
    }
    const port = await start({ workflowSecret: secret, workflowSecretPrevious: 'previous-secret-77d0e3aa' });
    await firstRead();
    const status = await report(port);
    expect(states(status)).toEqual({
      synced: { state: 'in-step' },
      changed: { state: 'differs', fields: ['workflow_secret'] },
      missing: { state: 'not-registered' },
    });
    const page = (await get(port, '/', PUBLIC)).body;
    for (const text of [JSON.stringify(status), page, logs.text()]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain('previous-secret-77d0e3aa');
    }
  });

  it('reads Relay at most once a minute, however many pages are loaded, and never on a page load', async () => {
    const port = await start();
    await firstRead();
    expect(cc.cloud.calls.listWorkflows).toBe(1);
    const firstCheck = (await report(port)).registrations!.checkedAt;

    for (let i = 0; i < 10; i++) {
      await get(port, '/', PUBLIC);
      await report(port);
    }
    await jest.advanceTimersByTimeAsync(MINUTE - 1);
    for (let i = 0; i < 10; i++) await get(port, '/', PUBLIC);
    expect(cc.cloud.calls.listWorkflows).toBe(1);

    // A minute after the first read ended, the next one comes.
    const second = logs.logged(REGISTRATIONS_READ, (line) => line.checkedAt !== firstCheck);
    await jest.advanceTimersByTimeAsync(1);
    await second;
    expect(cc.cloud.calls.listWorkflows).toBe(2);
  });

  it("shows Relay's failure as an error (escaped, truncated, without the token) and keeps answering", async () => {
    const hostile = `<script>alert(1)</script> refused ${cc.cloud.apiKey} ${'x'.repeat(5_000)}`;
    cc.cloud.failNext({ status: 500, path: '/ibot/workflow', times: Infinity, message: hostile });
    const port = await start();
    await firstRead(REGISTRATIONS_FAILED);

    const status = await report(port);
    const error = status.registrations!.error!;
    expect(error).toContain('HTTP 500');
    expect(error).toContain('<script>');
    expect(error.length).toBeLessThanOrEqual(301);
    expect(error).not.toContain(cc.cloud.apiKey);
    for (const workflow of status.workflows)
      expect(workflow.registrationState).toEqual({ state: 'error', message: error });

    const page = (await get(port, '/', PUBLIC)).body;
    expect(page).toContain('Relay could not be read');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain('<script>');
    expect(page).not.toContain(cc.cloud.apiKey);
    expect(page).not.toContain('x'.repeat(1_000));
    expect(logs.text()).not.toContain(cc.cloud.apiKey);
  });

  it('answers at once while a read hangs at Relay', async () => {
    cc.cloud.delayNext(10 * MINUTE, { path: '/ibot/workflow' });
    const port = await start();
    await jest.advanceTimersByTimeAsync(1_000);
    // The list request has reached the cloud, which holds it (the cloud counts requests as they arrive).
    for (let turn = 0; cc.cloud.calls.listWorkflows === 0; turn++) {
      if (turn > 10_000) throw new Error('the read never reached the cloud');
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(states(await report(port))).toEqual({
      synced: { state: 'checking' },
      changed: { state: 'checking' },
      missing: { state: 'checking' },
    });
    expect((await get(port, '/', PUBLIC)).status).toBe(200);
  });

  it('without a public host, says what to set and never calls Relay', async () => {
    const port = await start({ publicUrl: undefined });
    await jest.advanceTimersByTimeAsync(2 * MINUTE);
    const status = await report(port);
    expect(status.registrations!.error).toContain('set PUBLIC_URL');
    expect(status.workflows[0]!.registrationState).toMatchObject({ state: 'error' });
    expect(cc.cloud.calls.listWorkflows).toBe(0);
  });

  it('says a registration cannot be made when it names no install and RELAY_INSTALL is unset', async () => {
    const port = await start({ relayInstall: undefined });
    await firstRead();
    const state = (await report(port)).workflows[0]!.registrationState;
    expect(state).toMatchObject({ state: 'invalid', message: expect.stringContaining('set RELAY_INSTALL') });
  });

  it('stops reading when the server closes', async () => {
    await start();
    await firstRead();
    await server!.close(0);
    await jest.advanceTimersByTimeAsync(5 * MINUTE);
    expect(cc.cloud.calls.listWorkflows).toBe(1);
  });
});
