import { createWorkflowServer, Uri, type WorkflowServer } from '../../src';
import { simulate, type SimulateOptions } from '../../src/testing';
import * as panic from '../../src/workflows/panic';
import { memoryLogger } from '../helpers/memory-logger';

const ANA = Uri.deviceName('Ana');
const SECURITY = Uri.groupName('Security');
const ESCALATION = Uri.groupName('Escalation');
const ALARM_TEXT = 'Panic alarm: Ana needs help at Loading dock.';
const FIRST_LINE = 'Calling for help. Double tap to cancel.';
const isAlert = (frame: { _type: string; type?: unknown }) =>
  frame._type === 'wf_api_notification_request' && frame.type === 'alert';

describe('the panic workflow', () => {
  let server: WorkflowServer;
  let logs: ReturnType<typeof memoryLogger>;

  beforeEach(() => {
    logs = memoryLogger();
    server = createWorkflowServer({ logger: logs.logger, workflows: { panic } });
    return server.listen(0, '127.0.0.1');
  });

  afterEach(() => server.close(0));

  /** One run as Ana at the loading dock, with Security = Bob, Carol and Escalation = Dana unless overridden. */
  const run = (options: SimulateOptions = {}) =>
    simulate(server, {
      workflow: 'panic',
      device: { name: 'Ana', indoorLocation: 'Loading dock' },
      groups: { Security: ['Bob', 'Carol'], Escalation: ['Dana'] },
      ...options,
    });

  /** The info-level lines the workflow itself wrote. */
  const outcomes = () =>
    logs
      .lines()
      .filter((line) => line.msg === 'panic alarm ended')
      .map((line) => line.outcome);

  it('flashes red, vibrates, alerts Security with who and where, and tells the wearer who acknowledged first', async () => {
    const result = await run();
    expect(result.leds[0]).toMatchObject({ effect: 'flash', args: { count: -1, colors: { ring: 'ff0000' } } });
    expect(result.vibrations).toHaveLength(1);
    expect(result.says).toEqual([FIRST_LINE, 'Bob is on the way.']);
    expect(
      result.notifications.map(({ type, name, target, text, originator }) => ({
        type,
        name,
        target,
        text,
        originator,
      })),
    ).toEqual([
      { type: 'alert', name: 'panic', target: [SECURITY], text: ALARM_TEXT, originator: ANA },
      { type: 'cancel', name: 'panic', target: [SECURITY], text: undefined, originator: undefined },
    ]);
    expect(result.timers).toEqual([
      { name: 'panic escalation', type: 'timeout', delayMs: 60_000, fired: 0, cleared: true },
    ]);
    expect(result.interactions).toEqual([expect.objectContaining({ name: 'panic', ended: true })]);
    expect(result.terminated).toBe(true);
    expect(outcomes()).toEqual(['acknowledged']);
  });

  it('names the responder who acknowledged, whoever it is', async () => {
    const result = await run({ acknowledgers: ['Carol'] });
    expect(result.says).toEqual([FIRST_LINE, 'Carol is on the way.']);
  });

  it('escalates to the escalation group when nobody acknowledges in escalate_after_secs, and tells the wearer', async () => {
    const result = await run({ acknowledgers: 'none', timerSpeedup: 1000, vars: { escalate_after_secs: '30' } });
    expect(result.timers).toEqual([
      { name: 'panic escalation', type: 'timeout', delayMs: 30, fired: 1, cleared: false },
    ]);
    expect(result.notifications.map(({ type, name, target }) => ({ type, name, target }))).toEqual([
      { type: 'alert', name: 'panic', target: [SECURITY] },
      { type: 'broadcast', name: 'panic escalation', target: [ESCALATION] },
    ]);
    expect(result.notifications[1]?.text).toBe(`${ALARM_TEXT} No one in Security acknowledged within 30 seconds.`);
    expect(result.says).toEqual([FIRST_LINE, 'No one has answered yet. I have alerted Escalation.']);
    expect(result.terminated).toBe(true);
    expect(outcomes()).toEqual(['escalated: no acknowledgement']);
  });

  it('cancels the alarm on a double tap during the wait (a single tap does not), with a spoken confirmation', async () => {
    const result = await run({
      acknowledgers: 'none',
      script: async (sim) => {
        await sim.waitFor(isAlert);
        sim.pressButton('single');
        sim.pressButton('double');
      },
    });
    expect(result.says).toEqual([FIRST_LINE, 'Alarm cancelled.']);
    expect(result.notifications.map(({ type, name, target }) => ({ type, name, target }))).toEqual([
      { type: 'alert', name: 'panic', target: [SECURITY] },
      { type: 'cancel', name: 'panic', target: [SECURITY] },
    ]);
    expect(result.timers).toEqual([expect.objectContaining({ name: 'panic escalation', fired: 0, cleared: true })]);
    expect(result.terminated).toBe(true);
    expect(outcomes()).toEqual(['cancelled by the wearer']);
  });

  it('uses the registration args when they are set', async () => {
    const result = await run({
      acknowledgers: 'none',
      timerSpeedup: 1000,
      groups: { 'Night Shift': ['Eve'], Managers: ['Fay'] },
      vars: { responders: 'Night Shift', escalation: 'Managers', escalate_after_secs: '5' },
    });
    expect(result.notifications.map(({ type, target }) => ({ type, target }))).toEqual([
      { type: 'alert', target: [Uri.groupName('Night Shift')] },
      { type: 'broadcast', target: [Uri.groupName('Managers')] },
    ]);
    expect(result.timers[0]?.delayMs).toBe(5);
    expect(result.says).toEqual([FIRST_LINE, 'No one has answered yet. I have alerted Managers.']);
  });

  it('takes the defaults (Security, Escalation, 60 s) when the args are missing or unusable', async () => {
    const result = await run({
      acknowledgers: 'none',
      timerSpeedup: 1000,
      vars: { responders: ' ', escalate_after_secs: 'soon' },
    });
    expect(
      result.requests
        .filter((frame) => frame._type === 'wf_api_get_var_request')
        .map((frame) => frame.name)
        .sort(),
    ).toEqual(['escalate_after_secs', 'escalation', 'responders']);
    expect(result.timers[0]?.delayMs).toBe(60);
    expect(result.notifications.map(({ target }) => target)).toEqual([[SECURITY], [ESCALATION]]);
  });

  it('escalates at once when the responders group has no members, and says so', async () => {
    const result = await run({ groups: { Security: [], Escalation: ['Dana'] } });
    expect(result.notifications.map(({ type, target, text }) => ({ type, target, text }))).toEqual([
      { type: 'broadcast', target: [ESCALATION], text: `${ALARM_TEXT} The Security group has no members.` },
    ]);
    expect(result.timers).toEqual([]);
    expect(result.says).toEqual([FIRST_LINE, 'No one is on the Security list. I have alerted Escalation.']);
    expect(result.terminated).toBe(true);
    expect(outcomes()).toEqual(['escalated: no responders']);
  });

  it('escalates when the Relay server answers the alert with an error, and tells the wearer', async () => {
    const result = await run({ errors: (frame) => (isAlert(frame) ? 'alert_failed' : undefined) });
    // The refused alert was sent but reached nobody; only the escalation broadcast went out.
    expect(result.requests.filter(isAlert)).toHaveLength(1);
    expect(result.notifications.map(({ type, target, text }) => ({ type, target, text }))).toEqual([
      { type: 'broadcast', target: [ESCALATION], text: `${ALARM_TEXT} The alert to Security failed.` },
    ]);
    expect(result.says).toEqual([FIRST_LINE, 'I could not reach Security. I have alerted Escalation.']);
    expect(result.timers).toEqual([expect.objectContaining({ cleared: true, fired: 0 })]);
    expect(result.terminated).toBe(true);
    expect(
      logs
        .lines()
        .filter((line) => line.workflow === 'panic' && line.level === 'warn')
        .map((line) => line.msg),
    ).toEqual(['panic alert failed; escalating']);
  });

  it('tells the wearer to call another way when the escalation fails too', async () => {
    const result = await run({ errors: { notification: 'service_unavailable' } });
    expect(result.says).toEqual([FIRST_LINE, 'I could not send the alarm. Call for help another way.']);
    expect(result.terminated).toBe(true);
    expect(outcomes()).toEqual(['escalated: alert failed, escalation failed']);
  });

  it('still tells the wearer when something unexpected fails mid-alarm', async () => {
    const result = await run({ errors: { set_timer: 'timer_failed' } });
    expect(result.says).toEqual([FIRST_LINE, 'Something went wrong. Call for help another way.']);
    expect(result.terminated).toBe(true);
  });

  it('says the street address when the device has no indoor location', async () => {
    const result = await run({ device: { name: 'Ana', indoorLocation: '', address: '1 Main St' } });
    expect(result.notifications[0]?.text).toBe('Panic alarm: Ana needs help at 1 Main St.');
  });

  it('never logs what the wearer heard or the alarm text at info', async () => {
    await run({ acknowledgers: 'none', timerSpeedup: 1000 });
    expect(logs.lines().length).toBeGreaterThan(0);
    for (const said of [FIRST_LINE, 'No one has answered', 'Loading dock', 'Panic alarm'])
      expect(logs.text()).not.toContain(said);
  });
});
