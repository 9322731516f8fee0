import { Event, type Workflow } from '../../src';
import { FAKE_TIMERS, startEvent, startRelayServer, type RelayPeer, type RelayTestServer } from '../helpers/relay-peer';
import { deferred, settle, type Settled } from '../helpers/settle';

const DEVICE = 'urn:relay-resource:name:device:Alice';
const GROUP = 'urn:relay-resource:name:group:Security';

/** 2.4.0's waits: 5 s for a response, 45 s for refreshed device info, 60 s for notifications. */
describe('response timeouts (fake clock, real socket)', () => {
  let relay: RelayTestServer;
  let peer: RelayPeer | undefined;

  beforeAll(async () => {
    relay = await startRelayServer();
  });
  beforeEach(() => jest.useFakeTimers(FAKE_TIMERS));
  afterEach(async () => {
    jest.useRealTimers();
    await peer?.close();
  });
  afterAll(() => relay.close());

  /** Connects a peer whose start event runs `call`, and resolves once its request arrived. */
  async function call<T>(action: (workflow: Workflow) => Promise<T>) {
    const outcome = deferred<Settled<T>>();
    peer = await relay.connect((workflow) =>
      workflow.on(Event.START, () => void settle(() => action(workflow)).then(outcome.resolve)),
    );
    peer.send(startEvent());
    const request = await peer.next();
    return { peer, request, outcome: outcome.promise };
  }

  it.each([
    ['a response', 5_000, (w: Workflow): Promise<unknown> => w.getDeviceName(DEVICE)],
    ['refreshed device info', 45_000, (w: Workflow): Promise<unknown> => w.getDeviceBattery(DEVICE, true)],
    ['a notification', 60_000, (w: Workflow): Promise<unknown> => w.alert(GROUP, DEVICE, 'a', 'text')],
    ['a cancelled notification', 60_000, (w: Workflow): Promise<unknown> => w.cancelBroadcast(GROUP, 'a')],
  ])('waits for %s for %i ms, and not longer', async (_what, ms, action) => {
    const { outcome } = await call(action);
    let settled = false;
    void outcome.finally(() => (settled = true));
    await jest.advanceTimersByTimeAsync(ms - 1);
    expect(settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await outcome).toEqual({ error: expect.objectContaining({ code: 'failed-to-receive-event-timeout' }) });
  });

  it('restarts the clock on each progress event, as 2.4.0', async () => {
    const { peer, request, outcome } = await call((workflow) => workflow.translate('hello'));
    await jest.advanceTimersByTimeAsync(4_000);
    peer.send({ _id: request._id, _type: 'wf_api_progress_event' });
    await peer.synced();
    await jest.advanceTimersByTimeAsync(4_000);
    peer.send({ _id: request._id, _type: 'wf_api_translate_response', text: 'hola' });
    expect(await outcome).toEqual({ value: 'hola' });
  });
});
