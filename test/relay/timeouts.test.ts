import type { Workflow } from '../../src';
import { workflowOnFakeSocket } from '../helpers/fake-socket';
import { settle } from '../helpers/settle';

const DEVICE = 'urn:relay-resource:name:device:Alice';
const GROUP = 'urn:relay-resource:name:group:Security';

/** 2.4.0's waits: 5 s for a response, 45 s for refreshed device info, 60 s for notifications. */
describe('response timeouts (fake timers, fake socket)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it.each([
    ['a response', 5_000, (w: Workflow): Promise<unknown> => w.getDeviceName(DEVICE)],
    ['refreshed device info', 45_000, (w: Workflow): Promise<unknown> => w.getDeviceBattery(DEVICE, true)],
    ['a notification', 60_000, (w: Workflow): Promise<unknown> => w.alert(GROUP, DEVICE, 'a', 'text')],
    ['a cancelled notification', 60_000, (w: Workflow): Promise<unknown> => w.cancelBroadcast(GROUP, 'a')],
  ])('waits for %s for %i ms, and not longer', async (_what, ms, call) => {
    const { workflow } = workflowOnFakeSocket();
    let settled = false;
    const outcome = settle(() => call(workflow)).finally(() => (settled = true));
    await jest.advanceTimersByTimeAsync(ms - 1);
    expect(settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await outcome).toEqual({ error: expect.objectContaining({ code: 'failed-to-receive-event-timeout' }) });
  });

  it('restarts the clock on each progress event, as 2.4.0', async () => {
    const { workflow, socket } = workflowOnFakeSocket();
    const outcome = settle(() => workflow.translate('hello'));
    const request = socket.sent[0];
    await jest.advanceTimersByTimeAsync(4_000);
    socket.deliver({ _id: request?._id, _type: 'wf_api_progress_event' });
    await jest.advanceTimersByTimeAsync(4_000);
    socket.deliver({ _id: request?._id, _type: 'wf_api_translate_response', text: 'hola' });
    expect(await outcome).toEqual({ value: 'hola' });
  });
});
