import { createWorkflow, Event, TimeoutType, TimerType, Uri } from '../../src';
import { DEVICE, interactionUri, startEvent, startRelayServer, type Frame } from '../helpers/relay-peer';

/**
 * A workflow written the way Relay's current 2.x docs show one: Event.START, an interaction,
 * a named timer handled with Event.TIMER_FIRED (undefined in 2.4.0), endInteraction(uri) without
 * a name, and terminate from interaction_ended. It must run unchanged.
 */
const reminder = createWorkflow((workflow) => {
  workflow.on(Event.START, async (event) => {
    const {
      trigger: {
        args: { source_uri },
      },
    } = event;
    await workflow.startInteraction([source_uri], 'reminder', {});
  });

  workflow.on(Event.INTERACTION_STARTED, async ({ source_uri }) => {
    await workflow.setVar('interaction', source_uri);
    await workflow.setTimer(TimerType.TIMEOUT, 'nudge', 5, TimeoutType.SECONDS);
  });

  workflow.on(Event.TIMER_FIRED, async ({ name }) => {
    const interaction = (await workflow.getVar('interaction')) ?? '';
    const who = Uri.parseDeviceName(interaction);
    await workflow.sayAndWait(interaction, `${who}, timer ${name} fired`);
    await workflow.endInteraction(interaction);
  });

  workflow.on(Event.INTERACTION_ENDED, async () => {
    await workflow.terminate();
  });
});

describe('a workflow written against the 2.x docs', () => {
  it('runs unchanged: start, interaction, timer_fired, endInteraction(uri), interaction_ended, terminate', async () => {
    const relay = await startRelayServer();
    const peer = await relay.connect(reminder);
    const interaction = interactionUri('reminder');
    const lifecycle = (type: string): Frame => ({
      _type: 'wf_api_interaction_lifecycle_event',
      type,
      source_uri: interaction,
    });
    const vars: Record<string, string> = {};
    try {
      peer.send(startEvent());
      for (;;) {
        const frame = await peer.next();
        if (frame._type === 'wf_api_terminate_request') break;
        if (frame._type === 'wf_api_set_var_request') vars[String(frame.name)] = String(frame.value);
        const body =
          frame._type === 'wf_api_say_request'
            ? { id: frame._id }
            : frame._type === 'wf_api_get_var_request'
              ? { value: vars[String(frame.name)] }
              : {};
        peer.respond(frame, body);
        // The Relay server sends what an action sets off after the workflow took its response.
        await peer.synced();
        if (frame._type === 'wf_api_start_interaction_request') peer.send(lifecycle('started'));
        if (frame._type === 'wf_api_set_timer_request')
          peer.send({ _type: 'wf_api_timer_fired_event', name: frame.name });
        if (frame._type === 'wf_api_say_request')
          peer.send({ _type: 'wf_api_prompt_event', type: 'stopped', id: frame._id, source_uri: interaction });
        if (frame._type === 'wf_api_end_interaction_request') peer.send(lifecycle('ended'));
      }
      peer.send({ _type: 'wf_api_stop_event', reason: 'normal' });
    } finally {
      await peer.close();
      await relay.close();
    }
    const sent = peer.received.map(({ _id, ...frame }) => frame);
    expect(sent).toEqual([
      { _type: 'wf_api_start_interaction_request', _target: { uris: [DEVICE] }, name: 'reminder', options: {} },
      { _type: 'wf_api_set_var_request', name: 'interaction', value: interaction },
      { _type: 'wf_api_set_timer_request', type: 'timeout', name: 'nudge', timeout: 5, timeout_type: 'secs' },
      { _type: 'wf_api_get_var_request', name: 'interaction' },
      {
        _type: 'wf_api_say_request',
        _target: { uris: [interaction] },
        text: "Ana's badge, timer nudge fired",
        lang: 'en-US',
      },
      { _type: 'wf_api_end_interaction_request', _target: { uris: [interaction] } },
      { _type: 'wf_api_terminate_request' },
    ]);
  });
});
