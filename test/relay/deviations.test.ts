import { once } from 'node:events';
import { Event, type Workflow } from '../../src';
import {
  FAKE_TIMERS,
  interactionUri,
  responseTo,
  startEvent,
  startRelayServer,
  type Frame,
  type RelayPeer,
  type RelayTestServer,
} from '../helpers/relay-peer';
import { deferred, settle, type Settled } from '../helpers/settle';

/** The behavioural fixes listed in docs/sdk-differences.md that the wire does not show. */

const INTERACTION = interactionUri('deviations');

function prompt(type: string, request: Frame): Frame {
  return { _type: 'wf_api_prompt_event', type, id: request._id, source_uri: INTERACTION };
}

describe('deviations from 2.4.0 that the conformance transcripts cannot show', () => {
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

  it('no-response-event-race: sayAndWait, playAndWait and listen see events written with their response', async () => {
    const { peer, outcome } = await run(async (workflow) => [
      await workflow.sayAndWait(INTERACTION, 'one'),
      await workflow.playAndWait(INTERACTION, 'relay-static://noise'),
      await workflow.listen(INTERACTION),
    ]);
    const say = await peer.nextOfType('wf_api_say_request');
    peer.sendTogether([responseTo(say, { id: say._id }), prompt('started', say), prompt('stopped', say)]);
    const play = await peer.nextOfType('wf_api_play_request');
    peer.sendTogether([responseTo(play, { id: play._id }), prompt('started', play), prompt('stopped', play)]);
    const listen = await peer.nextOfType('wf_api_listen_request');
    peer.sendTogether([
      responseTo(listen),
      { _type: 'wf_api_speech_event', request_id: listen._id, text: 'yes', lang: 'en-US', source_uri: INTERACTION },
    ]);
    expect(await outcome).toEqual([say._id, play._id, { text: 'yes', lang: 'en-US' }]);
    await peer.close();
  });

  it('no-response-event-race: sayAndWait waits for the stopped prompt of its own id only', async () => {
    let done = false;
    const { peer, outcome } = await run((workflow) =>
      workflow.sayAndWait(INTERACTION, 'mine').finally(() => (done = true)),
    );
    const say = await peer.nextOfType('wf_api_say_request');
    peer.sendTogether([
      responseTo(say, { id: say._id }),
      prompt('stopped', { ...say, _id: 'someone-else' }),
      prompt('started', say),
    ]);
    await peer.synced();
    expect(done).toBe(false);
    peer.send(prompt('stopped', say));
    expect(await outcome).toBe(say._id);
    await peer.close();
  });

  it('no-heartbeat-refusal: actions go out while a ping is unanswered', async () => {
    const beating = await startRelayServer({ config: { heartbeatMs: 300 } });
    try {
      const said = deferred<Settled<string>>();
      const peer = await beating.connect(
        (workflow) => {
          workflow.on(Event.BUTTON, async ({ source_uri }) =>
            said.resolve(await settle(() => workflow.say(source_uri, 'pressed'))),
          );
        },
        { autoPong: false },
      );
      await once(peer.socket, 'ping');
      // Until the next beat the session counts as not alive; 2.4.0 refused every action here.
      peer.send({ _type: 'wf_api_start_event', trigger: { type: 'phrase', args: { source_uri: INTERACTION } } });
      peer.send({ _type: 'wf_api_button_event', button: 'action', taps: 'single', source_uri: INTERACTION });
      const say = await peer.nextOfType('wf_api_say_request');
      peer.send(responseTo(say, { id: say._id }));
      expect(await said.promise).toEqual({ value: say._id });
      await peer.close();
    } finally {
      await beating.close();
    }
  });

  it('unset-awaits: unset([...]) settles with its responses, errors included', async () => {
    const { peer, outcome } = await run((workflow) => settle(() => workflow.unset(['a', 'b'])));
    const first = await peer.nextOfType('wf_api_unset_var_request');
    const second = await peer.nextOfType('wf_api_unset_var_request');
    expect([first.name, second.name]).toEqual(['a', 'b']);
    peer.send(responseTo(first));
    peer.send({ _id: second._id, _type: 'wf_api_error_response', error: 'var_not_found' });
    // 2.4.0 resolved before either response and left the error unhandled.
    expect(await outcome).toEqual({ error: expect.objectContaining({ message: 'var_not_found' }) });
    await peer.close();
  });

  describe('listen-waits-its-timeout (fake clock, real socket)', () => {
    beforeEach(() => jest.useFakeTimers(FAKE_TIMERS));

    it('still takes speech after 32 s when the timeout is longer', async () => {
      const { peer, outcome } = await run((workflow) =>
        settle(() => workflow.listen(INTERACTION, [], { timeout: 120 })),
      );
      const request = await peer.nextOfType('wf_api_listen_request');
      peer.respond(request);
      await peer.synced();
      await jest.advanceTimersByTimeAsync(100_000);
      peer.send({
        _type: 'wf_api_speech_event',
        request_id: request._id,
        text: 'late',
        lang: 'en-US',
        source_uri: INTERACTION,
      });
      expect(await outcome).toEqual({ value: { text: 'late', lang: 'en-US' } });
      jest.useRealTimers();
      await peer.close();
    });

    it('gives up after its own timeout', async () => {
      const { peer, outcome } = await run((workflow) =>
        settle(() => workflow.listen(INTERACTION, [], { timeout: 10 })),
      );
      peer.respond(await peer.nextOfType('wf_api_listen_request'));
      await peer.synced();
      await jest.advanceTimersByTimeAsync(10_001);
      expect(await outcome).toEqual({ error: expect.objectContaining({ code: 'failed-to-receive-event-timeout' }) });
      jest.useRealTimers();
      await peer.close();
    });
  });
});
