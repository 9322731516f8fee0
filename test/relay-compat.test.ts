// First: relay() reads its settings with loadConfig (as 2.4.0 read PORT), and the sample app
// calls it as it loads.
import './helpers/silence-relay-logs';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Event, RelayApi, createRelayEntry, createWorkflow, relay, type RelayApp } from '../src';
import { simulate } from '../src/testing';
import * as sample from './fixtures/express-relay-app';
import { RelayPeer } from './helpers/relay-peer';
import { get } from './helpers/get';

describe('an express app written for 2.4.0, with relay({ server }) (only the import line changed)', () => {
  let port: number;

  beforeAll(async () => {
    sample.server.listen(0, '127.0.0.1');
    await once(sample.server, 'listening');
    port = (sample.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await sample.relayApp.close(0);
    sample.server.closeAllConnections();
    await new Promise((resolve) => sample.server.close(resolve));
  });

  it('converses on each named workflow, with or without the leading slash it was registered with', async () => {
    const run = await simulate(`ws://127.0.0.1:${port}/hello`, { answers: ['Ana'] });
    expect(run.says).toEqual(['What is your name?', 'Hello Ana']);
    expect(run.terminated).toBe(true);
  });

  it('serves the default workflow, workflow(fn), at /', async () => {
    const run = await simulate(`ws://127.0.0.1:${port}/`);
    expect(run.says).toEqual(['This is the default workflow']);
  });

  it('lets an express route reach a live workflow through the in-process emitter', async () => {
    const run = await simulate(`ws://127.0.0.1:${port}/sms`, {
      script: async (sim) => {
        await sim.waitFor((frame) => frame.text === 'Waiting for messages');
        const answer = await fetch(`http://127.0.0.1:${port}/msg`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: 'the van is here' }),
        });
        expect(await answer.json()).toEqual({ delivered: true });
      },
    });
    expect(run.says).toEqual(['Waiting for messages', 'New message: the van is here']);
  });

  it('leaves every plain request to express: its routes answer, and there is no status page', async () => {
    expect((await get(port, '/ping')).body).toBe('pong');
    const root = await get(port, '/');
    expect(root.status).toBe(404);
    expect(root.body).toContain('Cannot GET /');
  });

  it('refuses an upgrade to a path with no workflow with 404', async () => {
    await expect(RelayPeer.connect(`ws://127.0.0.1:${port}/nope`)).rejects.toMatchObject({ status: 404 });
  });
});

describe('relay({ port }) on its own (no server given)', () => {
  let app: RelayApp<unknown>;
  afterEach(() => app.close(0));

  it('listens by itself, serves the default workflow at / for upgrades and the status page for GET /', async () => {
    app = relay({ port: 0 });
    app.workflow(createWorkflow((workflow) => workflow.on(Event.START, () => workflow.terminate())));
    app.workflow(
      'hello',
      createWorkflow((workflow) => workflow.on(Event.START, () => workflow.terminate())),
    );
    const address = await app.listening;
    expect(address?.port).toBeGreaterThan(0);
    const port = address!.port;
    expect((await simulate(`ws://127.0.0.1:${port}/`)).terminated).toBe(true);
    expect((await simulate(`ws://127.0.0.1:${port}/hello`)).terminated).toBe(true);
    const page = await get(port, '/', { accept: 'application/json' });
    expect(page.status).toBe(200);
    expect((JSON.parse(page.body) as { workflows: Array<{ name: string; url: string }> }).workflows).toEqual([
      expect.objectContaining({ name: '', url: `ws://127.0.0.1:${port}/` }),
      expect.objectContaining({ name: 'hello', url: `ws://127.0.0.1:${port}/hello` }),
    ]);
    // As in 2.4.0, `api` is there without credentials; a call fails then, saying which are missing.
    expect(app.api).toBeInstanceOf(RelayApi);
  });

  it("throws on 2.4.0's misuses with the fix, and on a second default workflow", () => {
    app = relay({ port: 0 });
    const wf = createWorkflow(() => undefined);
    expect(() => app.workflow('hello')).toThrow("workflow() takes a name and a function, workflow('hello', fn)");
    expect(() => app.workflow(42 as never, wf)).toThrow('workflow() takes a name and a function');
    app.workflow(wf);
    expect(() => app.workflow(wf)).toThrow('a default workflow is registered twice');
    expect(() => app.workflow('', wf)).toThrow('a workflow needs a non-empty name');
    expect(() => relay({ port: 'http' as never })).toThrow(
      'relay({ port }) takes an integer from 0 to 65535 (0 picks a free port), got "http"',
    );
    expect(() => relay({ port: 70_000 })).toThrow('relay({ port }) takes an integer from 0 to 65535');
  });

  it('hands subscriberId and apiKey to the API client factory', async () => {
    const seen: unknown[] = [];
    const withApi = createRelayEntry((options) => {
      seen.push({ subscriberId: options.subscriberId, apiKey: options.apiKey });
      return { kind: 'fake-api' as const };
    });
    app = withApi({ port: 0, subscriberId: 'sub-1', apiKey: 'key-1' });
    expect(app.api).toEqual({ kind: 'fake-api' });
    expect(seen).toEqual([{ subscriberId: 'sub-1', apiKey: 'key-1' }]);
    await app.listening;
  });
});
