import { RelayError } from '../../src/relay/errors';
import { PendingWaits } from '../../src/relay/pending-waits';

describe('PendingWaits', () => {
  it('resolves a response with its body, undefined when the body is empty', async () => {
    const waits = new PendingWaits();
    const full = waits.expectResponse('a', 'get_var', 1000);
    const empty = waits.expectResponse('b', 'get_var', 1000);
    expect(waits.deliverResponse({ _id: 'a', _type: 'wf_api_get_var_response', value: 'x' })).toBe(true);
    expect(waits.deliverResponse({ _id: 'b', _type: 'wf_api_get_var_response' })).toBe(true);
    await expect(full).resolves.toEqual({ value: 'x' });
    await expect(empty).resolves.toBeUndefined();
    expect(waits.size).toBe(0);
  });

  it("rejects with the server's error string", async () => {
    const waits = new PendingWaits();
    const response = waits.expectResponse('a', 'get_var', 1000);
    waits.deliverResponse({ _id: 'a', _type: 'wf_api_error_response', error: 'var_not_found' });
    await expect(response).rejects.toThrow(new Error('var_not_found'));
  });

  it('ignores a response of the wrong type and one nobody waits for', () => {
    const waits = new PendingWaits();
    void waits.expectResponse('a', 'say', 1000).catch(() => undefined);
    expect(waits.deliverResponse({ _id: 'a', _type: 'wf_api_listen_response' })).toBe(false);
    expect(waits.deliverResponse({ _id: 'zzz', _type: 'wf_api_say_response' })).toBe(false);
    expect(waits.size).toBe(1);
    waits.rejectAll(() => new Error('done'));
  });

  it('times out with a message naming what did not arrive, and a progress event restarts the clock', async () => {
    jest.useFakeTimers();
    try {
      const waits = new PendingWaits();
      const response = waits.expectResponse('a', 'notification', 100);
      jest.advanceTimersByTime(90);
      waits.deliverResponse({ _id: 'a', _type: 'wf_api_progress_event' });
      jest.advanceTimersByTime(90);
      expect(waits.size).toBe(1);
      jest.advanceTimersByTime(20);
      await expect(response).rejects.toThrow(
        'failed-to-receive-event-timeout: no wf_api_notification_response within 100 ms',
      );
      expect(waits.size).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps an event that arrives before anyone asks for it (the response/event race)', async () => {
    const waits = new PendingWaits();
    const prompts = waits.watch('wf_api_prompt_event');
    waits.deliverEvent({ _type: 'wf_api_prompt_event', type: 'started', id: 'p' });
    waits.deliverEvent({ _type: 'wf_api_prompt_event', type: 'stopped', id: 'p' });
    const stopped = await prompts.until((frame) => frame.type === 'stopped' && frame.id === 'p', 1000, 'prompt');
    expect(stopped).toEqual({ _type: 'wf_api_prompt_event', type: 'stopped', id: 'p' });
    expect(waits.size).toBe(0);
  });

  it('rejects every wait at once when the session closes, and later waits immediately', async () => {
    const waits = new PendingWaits();
    const response = waits.expectResponse('a', 'listen', 60_000);
    const speech = waits.watch('wf_api_speech_event');
    const heard = speech.until(() => true, 60_000, 'speech');
    const closed = new RelayError('websocket-not-connected', 'closed');
    waits.rejectAll(() => closed);
    await expect(response).rejects.toBe(closed);
    await expect(heard).rejects.toBe(closed);
    await expect(waits.expectResponse('b', 'say', 1000)).rejects.toBe(closed);
    await expect(waits.watch('wf_api_prompt_event').until(() => true, 1000, 'prompt')).rejects.toBe(closed);
    expect(waits.size).toBe(0);
  });

  it('builds the close error only when a wait needs it, and only once', async () => {
    const waits = new PendingWaits();
    const makeError = jest.fn(() => new RelayError('websocket-not-connected', 'closed'));
    waits.rejectAll(makeError);
    expect(makeError).not.toHaveBeenCalled();
    const late = waits.expectResponse('c', 'say', 1000);
    await expect(late).rejects.toThrow('closed');
    await expect(waits.expectResponse('d', 'say', 1000)).rejects.toBe(await late.catch((error: unknown) => error));
    expect(makeError).toHaveBeenCalledTimes(1);
  });
});
