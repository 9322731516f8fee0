import { createWorkflowServer } from '../../src';
import { RelaySimulator, simulate, SimulatorError, type SimulateOptions } from '../../src/testing';
import type { Frame } from '../helpers/relay-peer';
import { serveWireWorkflow, type WireServer, type WireWorkflow } from '../helpers/simulator-wire-workflow';

const DEVICE = 'urn:relay-resource:name:device:Sim';
const INTERACTION = `urn:relay-resource:name:interaction:chat%20room?device=${encodeURIComponent(DEVICE)}`;

const servers: WireServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** Serves a wire-level workflow on port 0, simulates one run against it, and rethrows the script's own failures. */
async function play(script: (workflow: WireWorkflow) => Promise<unknown>, options: SimulateOptions = {}) {
  const server = await serveWireWorkflow(script);
  servers.push(server);
  const run = await simulate(server.url, options);
  const { workflow, outcome } = await server.lastRun();
  await outcome;
  return { run, workflow };
}

/** start → start_interaction "chat room" → wait for `resumed`; resolves with the interaction URN. */
async function openInteraction(workflow: WireWorkflow): Promise<string> {
  const start = await workflow.start();
  const source = (start.trigger as { args: { source_uri: string } }).args.source_uri;
  await workflow.request('start_interaction', { name: 'chat room' }, [source]);
  const resumed = await workflow.event('wf_api_interaction_lifecycle_event', (frame) => frame.type === 'resumed');
  return String(resumed.source_uri);
}

describe('RelaySimulator: start events', () => {
  it.each([
    ['phrase', {}, { phrase: 'hello', source_uri: DEVICE }],
    ['phrase', { phrase: 'open the door' }, { phrase: 'open the door', source_uri: DEVICE }],
    ['button', {}, { action: 'action_button_single_tap', source_uri: DEVICE }],
    ['http', { args: { site: 'HQ' } }, { args: { site: 'HQ' }, source_uri: DEVICE }],
    [
      'nfc',
      { uid: '04FF', nfcPayload: { room: '3' } },
      { uid: '04FF', nfc_payload: { room: '3' }, source_uri: DEVICE },
    ],
    ['emergency', {}, { source_uri: DEVICE }],
  ] as const)('sends a %s trigger %j first, without an _id', async (type, extra, args) => {
    let start: Frame | undefined;
    await play(
      async (workflow) => {
        start = await workflow.start();
        await workflow.terminate();
      },
      { trigger: { type, ...extra } },
    );
    expect(start).toEqual({ _type: 'wf_api_start_event', trigger: { type, args } });
  });
});

describe('RelaySimulator: answering requests', () => {
  it('answers start_interaction, then sends started and resumed with the interaction URN; end_interaction gives ended', async () => {
    const { run, workflow } = await play(async (wf) => {
      const uri = await openInteraction(wf);
      await wf.request('end_interaction', { name: 'chat room' }, [uri]);
      await wf.event('wf_api_interaction_lifecycle_event', (frame) => frame.type === 'ended');
      await wf.terminate();
    });
    const events = workflow.received.filter((frame) => frame._type === 'wf_api_interaction_lifecycle_event');
    expect(events).toEqual(
      ['started', 'resumed', 'ended'].map((type) => ({
        _type: 'wf_api_interaction_lifecycle_event',
        type,
        source_uri: INTERACTION,
      })),
    );
    expect(run.interactions).toEqual([{ name: 'chat room', uri: INTERACTION, ended: true }]);
    expect(run.log).toEqual(
      expect.arrayContaining(['interaction "chat room" started', 'interaction "chat room" ended']),
    );
  });

  it('answers say and play with id = request _id, then prompt started and stopped in later TCP reads', async () => {
    const { run, workflow } = await play(async (wf) => {
      const uri = await openInteraction(wf);
      const said = await wf.request('say', { text: 'Hi there', lang: 'en-US' }, [uri]);
      const stopped = await wf.event(
        'wf_api_prompt_event',
        (frame) => frame.type === 'stopped' && frame.id === said._id,
      );
      expect(said).toEqual({ _id: said._id, _type: 'wf_api_say_response', id: said._id });
      expect(stopped.source_uri).toBe(uri);
      const played = await wf.request('play', { filename: 'relay-static://noise' }, [uri]);
      await wf.event('wf_api_prompt_event', (frame) => frame.type === 'stopped' && frame.id === played._id);
      expect(wf.readOf.get(said)).not.toBe(wf.readOf.get(stopped));
      await wf.terminate();
    });
    const prompts = workflow.received
      .filter((frame) => frame._type === 'wf_api_prompt_event')
      .map((frame) => frame.type);
    expect(prompts).toEqual(['started', 'stopped', 'started', 'stopped']);
    expect(run.says).toEqual(['Hi there']);
    expect(run.plays).toEqual(['relay-static://noise']);
    expect(run.log).toContain('says: Hi there');
  });

  it('with singleWrite writes a response and its events in one TCP write', async () => {
    await play(
      async (wf) => {
        const uri = await openInteraction(wf);
        const said = await wf.request('say', { text: 'Hi', lang: 'en-US' }, [uri]);
        const stopped = await wf.event('wf_api_prompt_event', (frame) => frame.type === 'stopped');
        expect(wf.readOf.get(stopped)).toBe(wf.readOf.get(said));
        await wf.terminate();
      },
      { singleWrite: true },
    );
  });

  it('answers listen from the scripted queue in order, with request_id = the listen _id; an empty queue means silence', async () => {
    const { run } = await play(
      async (wf) => {
        const uri = await openInteraction(wf);
        for (const expected of ['yes', 'no']) {
          const listen = await wf.request('listen', { transcribe: true, phrases: [], timeout: 60, alt_lang: 'en-US' }, [
            uri,
          ]);
          const speech = await wf.event('wf_api_speech_event');
          expect(speech).toEqual({
            _type: 'wf_api_speech_event',
            request_id: listen._id,
            text: expected,
            lang: 'en-US',
            source_uri: uri,
          });
        }
        await wf.request('listen', { transcribe: true, phrases: [], timeout: 60, alt_lang: 'en-US' }, [uri]);
        await wf.terminate();
        expect(wf.received.filter((frame) => frame._type === 'wf_api_speech_event')).toHaveLength(2);
      },
      { answers: ['yes', 'no'] },
    );
    expect(run.heard).toEqual(['yes', 'no']);
    expect(run.log).toContain('hears nothing (no answer given)');
  });

  it('asks an answer callback with the listen request, and sends audio when transcribe is false', async () => {
    const asked: unknown[] = [];
    await play(
      async (wf) => {
        const uri = await openInteraction(wf);
        await wf.request('listen', { transcribe: false, phrases: ['red', 'blue'], timeout: 10, alt_lang: 'fr-FR' }, [
          uri,
        ]);
        const speech = await wf.event('wf_api_speech_event');
        expect(speech).toMatchObject({ audio: Buffer.from('rouge').toString('base64'), lang: 'fr-FR' });
        expect(speech).not.toHaveProperty('text');
        await wf.terminate();
      },
      {
        answers: (listen) => {
          asked.push({ phrases: listen.phrases, transcribe: listen.transcribe, lang: listen.lang });
          return Promise.resolve('rouge');
        },
      },
    );
    expect(asked).toEqual([{ phrases: ['red', 'blue'], transcribe: false, lang: 'fr-FR' }]);
  });

  it('serves registration args to get_var (no value key when missing) and keeps set_var / unset_var', async () => {
    const { run } = await play(
      async (wf) => {
        await wf.start();
        expect(await wf.request('get_var', { name: 'greeting' })).toEqual({
          _id: expect.any(String),
          _type: 'wf_api_get_var_response',
          value: 'Hey',
        });
        expect(await wf.request('get_var', { name: 'missing' })).toEqual({
          _id: expect.any(String),
          _type: 'wf_api_get_var_response',
        });
        await wf.request('set_var', { name: 'count', value: '5' });
        expect((await wf.request('get_var', { name: 'count' })).value).toBe('5');
        await wf.request('unset_var', { name: 'greeting' });
        expect(await wf.request('get_var', { name: 'greeting' })).not.toHaveProperty('value');
        await wf.terminate();
      },
      { vars: { greeting: 'Hey' } },
    );
    expect(run.vars).toEqual({ count: '5' });
  });

  it('answers every device info query from the simulated device, and applies set_device_info', async () => {
    const answers: Record<string, unknown> = {};
    const { run } = await play(
      async (wf) => {
        const uri = await openInteraction(wf);
        for (const query of [
          'name',
          'id',
          'battery',
          'address',
          'latlong',
          'indoor_location',
          'type',
          'location_enabled',
          'username',
        ]) {
          const { _id, _type, ...body } = await wf.request('get_device_info', { query, refresh: false }, [uri]);
          Object.assign(answers, body);
        }
        await wf.request('set_device_info', { field: 'label', value: 'Bo 2' }, [uri]);
        answers.renamed = (await wf.request('get_device_info', { query: 'name', refresh: false }, [uri])).name;
        await wf.terminate();
      },
      { device: { name: 'Bo', battery: 42, latlong: [1.5, -2.25], indoorLocation: 'Lab' } },
    );
    expect(answers).toEqual({
      name: 'Bo',
      id: '990007560012345',
      battery: 42,
      address: expect.any(String),
      latlong: [1.5, -2.25],
      indoor_location: 'Lab',
      type: 'relay2',
      location_enabled: true,
      username: 'sim-user',
      renamed: 'Bo 2',
    });
    expect(run.log).toContain('renamed to Bo 2');
  });

  it('answers group queries: list_members and is_member (also with 2.4.0 double-encoded names)', async () => {
    await play(
      async (wf) => {
        await wf.start();
        const members = await wf.request('group_query', {
          group_uri: 'urn:relay-resource:name:group:Night%20Shift',
          query: 'list_members',
        });
        expect(members.member_uris).toEqual([
          'urn:relay-resource:name:device:Bo',
          'urn:relay-resource:name:device:Cy%20Lee',
        ]);
        const member = `urn:relay-resource:name:group:Night%2520Shift?device=${encodeURIComponent('urn:relay-resource:name:device:Cy%2520Lee')}`;
        expect((await wf.request('group_query', { group_uri: member, query: 'is_member' })).is_member).toBe(true);
        const stranger = `urn:relay-resource:name:group:Night%20Shift?device=${encodeURIComponent('urn:relay-resource:name:device:Zed')}`;
        expect((await wf.request('group_query', { group_uri: stranger, query: 'is_member' })).is_member).toBe(false);
        await wf.terminate();
      },
      { groups: { 'Night Shift': ['Bo', 'Cy Lee'] } },
    );
  });

  it('acknowledges an alert from every other targeted device, with notification_state lists', async () => {
    const group = 'urn:relay-resource:name:group:Security';
    const { run } = await play(
      async (wf) => {
        await wf.start();
        await wf.request('notification', { originator: DEVICE, type: 'alert', name: 'fire', text: 'Fire in B' }, [
          group,
        ]);
        const acks = [await wf.event('wf_api_notification_event'), await wf.event('wf_api_notification_event')];
        expect(acks).toEqual([
          {
            _type: 'wf_api_notification_event',
            event: 'ack_event',
            name: 'fire',
            source_uri: 'urn:relay-resource:name:device:Bo',
            notification_state: {
              acknowledged: ['urn:relay-resource:name:device:Bo'],
              created: [DEVICE, 'urn:relay-resource:name:device:Bo', 'urn:relay-resource:name:device:Cy'],
              cancelled: [],
              timed_out: [],
            },
          },
          expect.objectContaining({
            source_uri: 'urn:relay-resource:name:device:Cy',
            notification_state: expect.objectContaining({
              acknowledged: ['urn:relay-resource:name:device:Bo', 'urn:relay-resource:name:device:Cy'],
            }),
          }),
        ]);
        await wf.request('notification', { type: 'cancel', name: 'fire' }, [group]);
        await wf.terminate();
      },
      { groups: { Security: ['Sim', 'Bo', 'Cy'] } },
    );
    expect(run.notifications).toEqual([
      {
        type: 'alert',
        name: 'fire',
        text: 'Fire in B',
        originator: DEVICE,
        target: [group],
        acknowledgedBy: ['urn:relay-resource:name:device:Bo', 'urn:relay-resource:name:device:Cy'],
      },
      { type: 'cancel', name: 'fire', target: [group], acknowledgedBy: [] },
    ]);
    expect(run.log).toEqual(expect.arrayContaining(['sends alert "fire": Fire in B', 'Bo acknowledges "fire"']));
  });

  it('spaces acknowledgements ackDelayMs apart and drops those not yet sent once the workflow cancels', async () => {
    const group = 'urn:relay-resource:name:group:Security';
    const { run, workflow } = await play(
      async (wf) => {
        await wf.start();
        const response = await wf.request(
          'notification',
          { originator: DEVICE, type: 'alert', name: 'fire', text: 'Fire in B' },
          [group],
        );
        const first = await wf.event('wf_api_notification_event');
        expect(first.source_uri).toBe('urn:relay-resource:name:device:Cy');
        expect(wf.readOf.get(first)).not.toBe(wf.readOf.get(response));
        await wf.request('notification', { type: 'cancel', name: 'fire' }, [group]);
        // Stay connected past the moment Bo's acknowledgement was due (200 ms after Cy's) before terminating.
        await wf.request('set_timer', { type: 'timeout', name: 'past due', timeout: 400, timeout_type: 'ms' });
        await wf.event('wf_api_timer_fired_event');
        await wf.terminate();
      },
      { groups: { Security: ['Bo', 'Cy'] }, acknowledgers: ['Cy', 'Bo'], ackDelayMs: 200 },
    );
    expect(workflow.received.filter((frame) => frame._type === 'wf_api_notification_event')).toHaveLength(1);
    expect(run.notifications[0]?.acknowledgedBy).toEqual(['urn:relay-resource:name:device:Cy']);
    expect(run.log).not.toContain('Bo acknowledges "fire"');
  });

  it('sends no acknowledgements when acknowledgers is none', async () => {
    const { workflow } = await play(
      async (wf) => {
        await wf.start();
        await wf.request('notification', { originator: DEVICE, type: 'broadcast', name: 'b', text: 'news' }, [
          'urn:relay-resource:name:device:Bo',
        ]);
        await wf.terminate();
      },
      { acknowledgers: 'none' },
    );
    expect(workflow.received.filter((frame) => frame._type === 'wf_api_notification_event')).toEqual([]);
  });

  it('fires set_timer timers by name, sped up, and repeats start_timer ticks until stop_timer', async () => {
    const { run } = await play(
      async (wf) => {
        await wf.start();
        await wf.request('set_timer', { type: 'timeout', name: 'nudge', timeout: 10, timeout_type: 'secs' });
        expect(await wf.event('wf_api_timer_fired_event')).toEqual({
          _type: 'wf_api_timer_fired_event',
          name: 'nudge',
        });
        await wf.request('start_timer', { timeout: 5 });
        await wf.event('wf_api_timer_event');
        await wf.event('wf_api_timer_event');
        await wf.request('stop_timer');
        await wf.request('set_timer', { type: 'interval', name: 'tick', timeout: 20, timeout_type: 'ms' });
        await wf.event('wf_api_timer_fired_event', (frame) => frame.name === 'tick');
        await wf.request('clear_timer', { name: 'tick' });
        await wf.terminate();
      },
      { timerSpeedup: 1000 },
    );
    expect(run.timers).toEqual([
      { name: 'nudge', type: 'timeout', delayMs: 10, fired: 1, cleared: false },
      { type: 'interval', delayMs: 5, fired: expect.any(Number), cleared: true },
      { name: 'tick', type: 'interval', delayMs: 0.02, fired: expect.any(Number), cleared: true },
    ]);
    expect(run.timers[1]?.fired).toBeGreaterThanOrEqual(2);
  });

  it('injects button presses during the interaction, and refuses them when none is open', async () => {
    const server = await serveWireWorkflow(async (wf) => {
      const uri = await openInteraction(wf);
      await wf.request('listen', { transcribe: true, phrases: [], timeout: 60, alt_lang: 'en-US' }, [uri]);
      const press = await wf.event('wf_api_button_event');
      expect(press).toEqual({ _type: 'wf_api_button_event', button: 'action', taps: 'double', source_uri: uri });
      await wf.terminate();
    });
    servers.push(server);
    const sim = await RelaySimulator.connect(server.url, { answers: () => undefined });
    expect(() => sim.pressButton()).toThrow(SimulatorError);
    await sim.waitFor((frame) => frame._type === 'wf_api_listen_request');
    sim.pressButton('double');
    const end = await sim.finished;
    await (
      await server.lastRun()
    ).outcome;
    expect(end).toEqual({ terminated: true, code: 1000, reason: 'workflow terminated', closedBy: 'relay' });
    expect(sim.result().buttons).toEqual([{ button: 'action', taps: 'double', interaction: INTERACTION }]);
    expect(sim.log).toContain('double press on the action button');
  });

  it('injects error responses on chosen actions, by name or by function', async () => {
    await play(
      async (wf) => {
        await wf.start();
        expect(await wf.request('get_device_info', { query: 'battery', refresh: true }, [DEVICE])).toEqual({
          _id: expect.any(String),
          _type: 'wf_api_error_response',
          error: 'device_offline',
        });
        expect(await wf.request('get_var', { name: 'x' })).toMatchObject({
          _type: 'wf_api_error_response',
          error: 'var_not_found',
        });
        await wf.terminate();
      },
      {
        errors: (request) =>
          request._type === 'wf_api_get_var_request'
            ? 'var_not_found'
            : request._type === 'wf_api_get_device_info_request'
              ? 'device_offline'
              : undefined,
      },
    );
    await play(
      async (wf) => {
        await wf.start();
        expect(await wf.request('vibrate', { pattern: [100] }, [DEVICE])).toMatchObject({
          _type: 'wf_api_error_response',
          error: 'nope',
        });
        await wf.terminate();
      },
      { errors: { vibrate: 'nope' } },
    );
  });

  it('records LEDs and vibrations with readable log lines, and gives every other request a plain _response', async () => {
    const { run, workflow } = await play(async (wf) => {
      const uri = await openInteraction(wf);
      await wf.request('set_led', { effect: 'flash', args: { count: -1, colors: { ring: 'ff0000' } } }, [uri]);
      await wf.request('set_led', { effect: 'static', args: { colors: { '3': '00ff00' } } }, [uri]);
      await wf.request('set_led', { effect: 'off', args: {} }, [uri]);
      await wf.request('vibrate', { pattern: [100, 500] }, [uri]);
      expect(await wf.request('set_home_channel_state', { enabled: true }, [uri])).toEqual({
        _id: expect.any(String),
        _type: 'wf_api_set_home_channel_state_response',
      });
      expect(
        await wf.request('log_analytics_event', { category: 'c', content_type: 'text/plain', content: 'x' }),
      ).toEqual({ _id: expect.any(String), _type: 'wf_api_log_analytics_event_response' });
      await wf.terminate();
    });
    expect(run.leds.map((led) => led.description)).toEqual(['LED ring flashing red', 'LED 3 solid green', 'LEDs off']);
    expect(run.vibrations).toEqual([{ pattern: [100, 500], target: [INTERACTION] }]);
    expect(run.log).toEqual(expect.arrayContaining(['LED ring flashing red', 'vibrates (100, 500 ms)']));
    expect(
      workflow.received
        .filter((frame) => frame._type.endsWith('_response'))
        .every((frame) => typeof frame._id === 'string'),
    ).toBe(true);
  });

  it('answers terminate with stop (reason normal) and closes with 1000; the transcript holds both directions in order', async () => {
    const { run, workflow } = await play(async (wf) => {
      await wf.start();
      await wf.terminate();
    });
    expect(workflow.received.at(-1)).toEqual({ _type: 'wf_api_stop_event', reason: 'normal' });
    expect(run).toMatchObject({ terminated: true, code: 1000, closedBy: 'relay' });
    expect(run.transcript.map(({ from, frame }) => `${from}:${frame._type}`)).toEqual([
      'relay:wf_api_start_event',
      'workflow:wf_api_terminate_request',
      'relay:wf_api_stop_event',
    ]);
    const times = run.transcript.map((entry) => entry.elapsedMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(run.transcript.every((entry) => entry.at > 0)).toBe(true);
  });
});

describe('RelaySimulator: ends and failures', () => {
  it('reports a workflow that closes without terminating', async () => {
    const { run } = await play(async (wf) => {
      await wf.start();
      wf.socket.close(1011, 'workflow failed');
    });
    expect(run).toMatchObject({ terminated: false, code: 1011, reason: 'workflow failed', closedBy: 'workflow' });
  });

  it('close() releases the socket and running timers of a workflow that never ends', async () => {
    const server = await serveWireWorkflow(async (wf) => {
      await wf.start();
      await wf.request('start_timer', { timeout: 60 });
    });
    servers.push(server);
    const sim = await RelaySimulator.connect(server.url);
    await sim.waitFor((frame) => frame._type === 'wf_api_start_timer_request');
    await sim.close();
    await sim.close();
    expect(await sim.finished).toMatchObject({ terminated: false, code: 1000, closedBy: 'relay' });
    expect(sim.result().timers).toEqual([expect.objectContaining({ cleared: true })]);
    await expect(sim.waitFor(() => false)).rejects.toThrow(SimulatorError);
  });

  it('simulate() rejects with sim-timeout and the device log when the workflow does not finish', async () => {
    const server = await serveWireWorkflow(async (wf) => {
      await wf.start();
      await wf.request('vibrate', { pattern: [1] }, [DEVICE]);
    });
    servers.push(server);
    await expect(simulate(server.url, { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'sim-timeout',
      message: expect.stringContaining('vibrates (1 ms)'),
    });
  });

  it('rejects with sim-workflow-not-found (404) for an unknown path, and sim-connect-failed when nothing listens', async () => {
    const app = createWorkflowServer({ config: { logLevel: 'silent' }, workflows: { hello: () => undefined } });
    const { port } = await app.listen(0, '127.0.0.1');
    try {
      await expect(simulate(`ws://127.0.0.1:${port}/nope`)).rejects.toMatchObject({
        code: 'sim-workflow-not-found',
        status: 404,
        message: expect.stringContaining('404'),
      });
      await expect(simulate(app)).rejects.toThrow("needs the workflow's name");
    } finally {
      await app.close(0);
    }
    await expect(simulate(`ws://127.0.0.1:${port}/hello`)).rejects.toMatchObject({
      code: 'sim-connect-failed',
      message: expect.stringContaining('nothing is listening'),
    });
  });
});
