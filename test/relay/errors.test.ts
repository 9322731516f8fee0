import { Event, RelayError, type Workflow } from '../../src';
import {
  DEVICE,
  FAKE_TIMERS,
  interactionUri,
  startEvent,
  startRelayServer,
  type RelayPeer,
  type RelayTestServer,
} from '../helpers/relay-peer';
import { deferred, settle, type Settled } from '../helpers/settle';

const INTERACTION = interactionUri('errors');

describe('how actions fail', () => {
  let relay: RelayTestServer;

  beforeAll(async () => {
    relay = await startRelayServer();
  });

  afterEach(() => jest.useRealTimers());
  afterAll(() => relay.close());

  /** Serves a workflow whose start handler runs `script`, and connects a peer that sends `start`. */
  async function run<T>(script: (workflow: Workflow) => Promise<T>): Promise<{ peer: RelayPeer; outcome: Promise<T> }> {
    const outcome = deferred<T>();
    const peer = await relay.connect((workflow) =>
      workflow.on(Event.START, async () => outcome.resolve(await script(workflow))),
    );
    peer.send(startEvent());
    return { peer, outcome: outcome.promise };
  }

  it('rejects with the server error string when the Relay server answers wf_api_error_response', async () => {
    const { peer, outcome } = await run((workflow) => settle(() => workflow.getVar('greeting')));
    const request = await peer.nextOfType('wf_api_get_var_request');
    peer.send({ _id: request._id, _type: 'wf_api_error_response', error: 'var_not_found' });
    const result = (await outcome) as { error: RelayError };
    expect(result.error).toBeInstanceOf(RelayError);
    expect(result.error.message).toBe('var_not_found');
    expect(result.error.code).toBe('relay-server-error');
    await peer.close();
  });

  it("says 'Unknown error' when the error response has no error string, as 2.4.0", async () => {
    const { peer, outcome } = await run((workflow) => settle(() => workflow.translate('hi')));
    const request = await peer.nextOfType('wf_api_translate_request');
    peer.send({ _id: request._id, _type: 'wf_api_error_response', error: { reason: 'x' } });
    expect(await outcome).toEqual({ error: expect.objectContaining({ message: 'Unknown error' }) });
    await peer.close();
  });

  it('rejects a payload JSON cannot hold before sending anything, and leaves no wait behind', async () => {
    // Every wait runs a response timer: with fake timers, one left behind shows in the timer count.
    jest.useFakeTimers(FAKE_TIMERS);
    const timers = deferred<{ before: number; after: number }>();
    const { peer, outcome } = await run(async (workflow) => {
      const before = jest.getTimerCount();
      const result = await settle(() => workflow.trackEvent('counts', { count: 1n }));
      timers.resolve({ before, after: jest.getTimerCount() });
      await workflow.logMessage('after the bad payload');
      return result;
    });
    const { before, after } = await timers.promise;
    jest.useRealTimers();
    expect(after).toBe(before);
    const first = await peer.next();
    expect(first).toEqual(
      expect.objectContaining({ _type: 'wf_api_log_analytics_event_request', content: 'after the bad payload' }),
    );
    peer.respond(first);
    expect(await outcome).toEqual({ error: expect.any(TypeError) });
    await peer.close();
  });

  it('rejects a bad target before sending anything, naming it', async () => {
    const { peer, outcome } = await run(async (workflow) => {
      const results: Array<Settled<unknown>> = [
        await settle(() => workflow.say('Alice', 'hi')),
        await settle(() => workflow.startInteraction([], 'x')),
        await settle(() => workflow.sayAndWait([DEVICE, 'urn:nope'], 'hi')),
        await settle(() => workflow.listen(undefined as unknown as string)),
      ];
      await workflow.logMessage('after the bad targets');
      return results;
    });
    const first = await peer.next();
    expect(first).toEqual(
      expect.objectContaining({ _type: 'wf_api_log_analytics_event_request', content: 'after the bad targets' }),
    );
    peer.respond(first);
    const messages = (await outcome).map((result) => ('error' in result ? result.error.message : 'resolved'));
    expect(messages).toEqual([
      expect.stringMatching(/^invalid-target-uris: a target must be a urn:relay-resource: URN .*got "Alice"$/),
      expect.stringMatching(/^invalid-target-uris: .*got an empty list$/),
      expect.stringMatching(/^invalid-target-uris: .*got "urn:nope"$/),
      expect.stringMatching(/^invalid-target-uris: .*got undefined$/),
    ]);
    await peer.close();
  });

  it('rejects pending actions as soon as the session closes, and later ones at once', async () => {
    const pending = deferred<Settled<unknown>>();
    const { peer, outcome } = await run(async (workflow) => {
      const listening = settle(() => workflow.listen(INTERACTION));
      pending.resolve(await listening);
      return [await settle(() => workflow.say(INTERACTION, 'too late')), await settle(() => workflow.terminate())];
    });
    await peer.nextOfType('wf_api_listen_request');
    await peer.close();
    expect(await pending.promise).toEqual({
      error: expect.objectContaining({
        code: 'websocket-not-connected',
        message: expect.stringMatching(/closed \(code 1000\) while this action was pending/),
      }),
    });
    expect(await outcome).toEqual([
      {
        error: expect.objectContaining({
          code: 'websocket-not-connected',
          message: expect.stringMatching(/cannot send say, the session with the Relay server has closed/),
        }),
      },
      { error: expect.objectContaining({ code: 'websocket-not-connected' }) },
    ]);
  });

  it('answerCall and hangupCall say what to pass when there is no call id', async () => {
    const { peer, outcome } = await run(async (workflow) => [
      await settle(() => workflow.answerCall(INTERACTION, {} as { call_id: string })),
      await settle(() => workflow.hangupCall(INTERACTION, 42 as unknown as string)),
    ]);
    expect((await outcome).map((result) => ('error' in result ? result.error.message : 'resolved'))).toEqual([
      expect.stringMatching(/^missing required parameter: pass the call id/),
      expect.stringMatching(/^missing required parameter: pass the call id/),
    ]);
    await peer.close();
  });
});
