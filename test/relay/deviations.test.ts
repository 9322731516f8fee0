import { once } from 'node:events';
import { Event, type Workflow } from '../../src';
import { RelayPeer, type Frame } from '../helpers/relay-peer';
import { interactionUri, startEvent } from '../helpers/relay-frames';
import { responseTo, workflowOnFakeSocket } from '../helpers/fake-socket';
import { deferred, settle, type Settled } from '../helpers/settle';
import { startTestServer } from '../helpers/test-server';

/** The behavioural fixes listed in docs/sdk-differences.md that the wire does not show. */

const INTERACTION = interactionUri('deviations');

function prompt(type: string, request: Frame): Frame {
  return { _type: 'wf_api_prompt_event', type, id: request._id, source_uri: INTERACTION };
}

describe('deviations from 2.4.0 that the conformance transcripts cannot show', () => {
  let testServer: Awaited<ReturnType<typeof startTestServer>>;

  beforeAll(async () => {
    testServer = await startTestServer();
  });

  afterAll(() => testServer.close());

  async function run<T>(
    script: (workflow: Workflow) => Promise<T>,
    url?: string,
  ): Promise<{ peer: RelayPeer; outcome: Promise<T> }> {
    const outcome = deferred<T>();
    const target =
      url ??
      testServer.serve((workflow) => workflow.on(Event.START, async () => outcome.resolve(await script(workflow))));
    const peer = await RelayPeer.connect(target);
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

  it('no-response-event-race: sayAndWait waits for the stopped prompt of its own id only (fake socket)', async () => {
    const { workflow, socket } = workflowOnFakeSocket();
    let done = false;
    const said = workflow.sayAndWait(INTERACTION, 'mine').then((id) => {
      done = true;
      return id;
    });
    const say = socket.sent[0] as Frame;
    socket.deliver(
      responseTo(say, { id: say._id }),
      prompt('stopped', { ...say, _id: 'someone-else' }),
      prompt('started', say),
    );
    await new Promise(setImmediate);
    expect(done).toBe(false);
    socket.deliver(prompt('stopped', say));
    expect(await said).toBe(say._id);
  });

  it('no-heartbeat-refusal: actions go out while a ping is unanswered', async () => {
    const slowPeer = await startTestServer({ heartbeatMs: 300 });
    try {
      const said = deferred<Settled<string>>();
      const url = slowPeer.serve((workflow) => {
        workflow.on(Event.BUTTON, async ({ source_uri }) =>
          said.resolve(await settle(() => workflow.say(source_uri, 'pressed'))),
        );
      });
      const peer = await RelayPeer.connect(url, { autoPong: false });
      await once(peer.socket, 'ping');
      // Until the next beat the session counts as not alive; 2.4.0 refused every action here.
      peer.send({ _type: 'wf_api_start_event', trigger: { type: 'phrase', args: { source_uri: INTERACTION } } });
      peer.send({ _type: 'wf_api_button_event', button: 'action', taps: 'single', source_uri: INTERACTION });
      const say = await peer.nextOfType('wf_api_say_request');
      peer.send(responseTo(say, { id: say._id }));
      expect(await said.promise).toEqual({ value: say._id });
      await peer.close();
    } finally {
      await slowPeer.close();
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

  describe('listen-waits-its-timeout (fake timers, fake socket)', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    it('still takes speech after 32 s when the timeout is longer', async () => {
      const { workflow, socket } = workflowOnFakeSocket();
      const heard = settle(() => workflow.listen(INTERACTION, [], { timeout: 120 }));
      const request = socket.sent[0];
      socket.deliver(responseTo(request));
      await jest.advanceTimersByTimeAsync(100_000);
      socket.deliver({
        _type: 'wf_api_speech_event',
        request_id: request?._id,
        text: 'late',
        lang: 'en-US',
        source_uri: INTERACTION,
      });
      expect(await heard).toEqual({ value: { text: 'late', lang: 'en-US' } });
    });

    it('gives up after its own timeout', async () => {
      const { workflow, socket } = workflowOnFakeSocket();
      const heard = settle(() => workflow.listen(INTERACTION, [], { timeout: 10 }));
      socket.deliver(responseTo(socket.sent[0]));
      await jest.advanceTimersByTimeAsync(10_001);
      expect(await heard).toEqual({ error: expect.objectContaining({ code: 'failed-to-receive-event-timeout' }) });
    });
  });
});
