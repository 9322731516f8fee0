import { createWorkflow, Event } from '../../src';
import { explainSilentEnd } from '../../src/sim/explain-silent-end';
import { simulate } from '../../src/testing';
import * as broadcast from '../../src/workflows/broadcast';
import * as hello from '../../src/workflows/hello';

describe('explainSilentEnd', () => {
  it('names the registration args a silent workflow read and was not given', async () => {
    const run = await simulate(broadcast, { trigger: { type: 'http', args: {} } });
    expect(explainSilentEnd(run)).toBe(
      "the workflow ended without saying anything; it read registration args it was not given: group, message, timeout_secs (give them with --arg name=value; an http trigger's own args are --trigger http --trigger-arg name=value)",
    );
  });

  it('names the requests the simulated Relay server refused, once each, with their error', async () => {
    const silent = createWorkflow((workflow) => {
      workflow.on(Event.START, async ({ trigger }) => {
        await workflow.getDeviceName(trigger.args.source_uri).catch(() => undefined);
        await workflow.getDeviceName(trigger.args.source_uri).catch(() => undefined);
        await workflow.terminate();
      });
    });
    const run = await simulate(silent, { errors: { get_device_info: 'x'.repeat(500) } });
    expect(explainSilentEnd(run)).toBe(
      `the workflow ended without saying anything; the simulated Relay server refused: get_device_info (${'x'.repeat(60)}…)`,
    );
  });

  it("points at the server's log when it cannot tell, and says nothing when the workflow spoke", async () => {
    const quiet = createWorkflow((workflow) => {
      workflow.on(Event.START, () => workflow.terminate());
    });
    expect(explainSilentEnd(await simulate(quiet))).toContain("the server's log says why");
    expect(explainSilentEnd(await simulate(hello, { answers: ['Ana'] }))).toBeUndefined();
  });
});
