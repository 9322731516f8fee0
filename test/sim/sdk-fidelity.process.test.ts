import { simulate } from '../../src/testing';
import { spawnSdkServer, type SdkServer } from '../helpers/spawn-sdk-server';

/**
 * Workflows written for @relaypro/sdk 2.4.0, served by its own `relay()`. 2.4.0 runs one event
 * handler at a time, so the tour moves on from handler to handler (ack → timer → button) instead of
 * waiting inside one.
 */
const SDK_WORKFLOWS = `
const { relay, Uri } = require('@relaypro/sdk');
const app = relay();
app.workflow('hello', (wf) => {
  wf.on('start', async ({ trigger }) => { await wf.startInteraction([trigger.args.source_uri], 'hello world'); });
  wf.on('interaction_started', async ({ source_uri: i }) => {
    await wf.sayAndWait(i, 'What is your name?');
    const { text } = await wf.listen(i);
    const greeting = await wf.getVar('greeting', 'Hello');
    await wf.sayAndWait(i, greeting + ' ' + text + '!');
    await wf.terminate();
  });
});
app.workflow('tour', (wf) => {
  let interaction;
  const facts = [];
  wf.on('start', async ({ trigger }) => { await wf.startInteraction([trigger.args.source_uri], 'tour'); });
  wf.on('interaction_started', async ({ source_uri: i }) => {
    interaction = i;
    await wf.flash(i, 'ff0000');
    await wf.vibrate(i, [100, 200]);
    const name = await wf.getDeviceName(i);
    facts.push(name, await wf.getDeviceBattery(i, false), (await wf.getDeviceCoordinates(i, true)).join(','));
    facts.push((await wf.getGroupMembers(Uri.groupName('Security'))).length);
    facts.push(await wf.isGroupMember(Uri.groupName('Security'), Uri.deviceName(name)));
    await wf.alert(Uri.groupName('Security'), Uri.deviceName(name), 'fire', 'Fire in B');
  });
  wf.on('notification', async ({ event, source_uri }) => {
    facts.push(event + ' by ' + Uri.parseDeviceName(source_uri));
    await wf.setTimer('timeout', 'nudge', 30, 'secs');
  });
  wf.on('timer_fired', async ({ name }) => {
    facts.push('timer ' + name);
    await wf.sayAndWait(interaction, 'Press the button');
  });
  wf.on('button', async ({ taps }) => {
    facts.push(taps);
    try { await wf.getVar('secret'); } catch (error) { facts.push(error.message); }
    await wf.sayAndWait(interaction, facts.join('|'));
    await wf.terminate();
  });
});
`;

describe('the simulator against workflows served by @relaypro/sdk 2.4.0 (child process)', () => {
  let sdk: SdkServer;

  beforeAll(async () => {
    sdk = await spawnSdkServer(SDK_WORKFLOWS);
  });

  afterAll(() => sdk.stop());

  it("runs 2.4.0's hello world: its listen and sayAndWait see every event", async () => {
    const run = await simulate(`ws://127.0.0.1:${sdk.port}/hello`, { answers: ['Ana'], vars: { greeting: 'Welcome' } });
    expect(run.says).toEqual(['What is your name?', 'Welcome Ana!']);
    expect(run).toMatchObject({ terminated: true, code: 1000 });
  });

  it('drives LEDs, vibration, device info, groups, alert acknowledgements, timers, buttons and injected errors', async () => {
    const run = await simulate(`ws://127.0.0.1:${sdk.port}/tour`, {
      device: { name: 'Ana', battery: 64 },
      groups: { Security: ['Ana', 'Bo'] },
      timerSpeedup: 1000,
      errors: { get_var: 'var_not_found' },
      script: async (sim) => {
        await sim.waitFor((frame) => frame.text === 'Press the button');
        sim.pressButton('triple');
      },
    });
    expect(run.says).toEqual([
      'Press the button',
      'Ana|64|35.7796,-78.6382|2|true|ack_event by Bo|timer nudge|triple|var_not_found',
    ]);
    expect(run.log).toEqual(
      expect.arrayContaining([
        'LED ring flashing red',
        'vibrates (100, 200 ms)',
        'Bo acknowledges "fire"',
        'timer "nudge" fires',
      ]),
    );
    expect(run.terminated).toBe(true);
  });
});
