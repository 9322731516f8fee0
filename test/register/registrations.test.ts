import type { Registration, WorkflowRow } from '../../src';
import {
  desiredRow,
  hideToken,
  planRegistrations,
  RegistrationError,
  type RegistrationTarget,
} from '../../src/registrations';

const TARGET: RegistrationTarget = {
  publicHost: 'demo.example.com',
  workflowToken: undefined,
  install: { type: 'all' },
};
const base: Registration = { description: 'd', trigger: { type: 'http' } };
const triggerOf = (registration: Registration) =>
  (desiredRow('w', registration, TARGET).config as { trigger: Record<string, unknown> }).trigger;

describe('desiredRow: a registration as the row relay CLI 1.x writes', () => {
  it.each<[Registration['trigger'], Record<string, unknown>]>([
    [{ type: 'phrase', phrases: ['Page the Desk', 'desk'] }, { on_phrases: ['page the desk', 'desk'] }],
    [{ type: 'button', taps: 'single' }, { on_button: 'action_button_single_tap' }],
    [{ type: 'http' }, { on_http: 'POST' }],
    [{ type: 'event', event: 'emergency' }, { on_device_event: 'emergency' }],
    [{ type: 'nfc', category: 'room' }, { on_nfc: { type: 'custom', category: 'room' } }],
  ])('writes the trigger %j', (trigger, expected) => {
    expect(triggerOf({ ...base, trigger })).toEqual({
      start: { workflow: { uri: 'wss://demo.example.com/w', args: {} } },
      ...expected,
    });
  });

  it('installs per RELAY_INSTALL unless the registration names its own, and puts the token in the URI', () => {
    const target = { ...TARGET, workflowToken: 'secret-token-0123456789' };
    expect(desiredRow('a/b c', base, target)).toMatchObject({
      install_rule: 'urn:relay-resource:all:device',
      config: {
        trigger: { start: { workflow: { uri: 'wss://demo.example.com/a/b%20c?token=secret-token-0123456789' } } },
      },
    });
    expect(desiredRow('w', { ...base, install: { type: 'devices', devices: ['1', '2', '1'] } }, TARGET)).toMatchObject({
      install: ['1', '2'],
    });
    expect(
      desiredRow('w', { ...base, install: { type: 'group', group: 'urn:relay-resource:id:tag:x' } }, TARGET),
    ).toMatchObject({ install_rule: 'urn:relay-resource:id:tag:x' });
  });

  it.each<[Partial<Registration>, Partial<RegistrationTarget>, string]>([
    [{}, { install: undefined }, 'no install: set RELAY_INSTALL'],
    [{ trigger: { type: 'phrase', phrases: [] } }, {}, 'one or more phrases'],
    [{ trigger: { type: 'phrase', phrases: [' '] } }, {}, 'one or more phrases'],
    [{ args: { n: Number.NaN } }, {}, 'arg "n" must be'],
  ])('refuses what cannot be registered, naming the workflow and the fix', (change, target, message) => {
    expect(() => desiredRow('w', { ...base, ...change }, { ...TARGET, ...target })).toThrow(RegistrationError);
    expect(() => desiredRow('w', { ...base, ...change }, { ...TARGET, ...target })).toThrow(`workflow "w": `);
    expect(() => desiredRow('w', { ...base, ...change }, { ...TARGET, ...target })).toThrow(message);
  });
});

describe('planRegistrations', () => {
  const desired = [
    { name: 'hello', row: desiredRow('hello', { ...base, trigger: { type: 'phrase', phrases: ['hello'] } }, TARGET) },
  ];

  it('reads an old on_phrase row, in any key order and host case, as in step', () => {
    const row = {
      install_rule: 'urn:relay-resource:all:device',
      config: {
        trigger: { on_phrase: 'hello', start: { workflow: { args: {}, uri: 'wss://demo.example.com/hello' } } },
      },
      name: 'hello',
      workflow_id: 'wf_1',
    } as unknown as WorkflowRow;
    expect(planRegistrations({ rows: [row], desired, publicHost: 'DEMO.example.com' })).toEqual({
      steps: [{ action: 'unchanged', name: 'hello', workflowId: 'wf_1' }],
      foreign: 0,
    });
  });

  it('reads phrases in another order as in step', () => {
    const two = desiredRow('hello', { ...base, trigger: { type: 'phrase', phrases: ['hello', 'hi'] } }, TARGET);
    const row = {
      ...two,
      config: { trigger: { ...(two.config as { trigger: object }).trigger, on_phrases: ['hi', 'hello'] } },
      workflow_id: 'wf_1',
    };
    const plan = planRegistrations({
      rows: [row],
      desired: [{ name: 'hello', row: two }],
      publicHost: 'demo.example.com',
    });
    expect(plan.steps).toEqual([{ action: 'unchanged', name: 'hello', workflowId: 'wf_1' }]);
  });

  it('counts rows of other hosts or without a URI as foreign, and skips workflows without a registration', () => {
    const rows = [
      { workflow_id: 'wf_a', config: { trigger: { start: { workflow: { uri: 'wss://other.example.com/hello' } } } } },
      { workflow_id: 'wf_b', config: 'not json' },
      { workflow_id: 'wf_c', config: { trigger: { start: { workflow: { uri: 'wss://demo.example.com/quiet' } } } } },
    ] as unknown as WorkflowRow[];
    const plan = planRegistrations({
      rows,
      desired: [{ name: 'quiet', row: undefined }],
      publicHost: 'demo.example.com',
    });
    expect(plan).toEqual({ steps: [{ action: 'skip', name: 'quiet' }], foreign: 2 });
  });
});

it('hideToken hides the value of every token parameter', () => {
  expect(hideToken('wss://h/a?token=abc&x=1 and wss://h/b?x=1&token=def')).toBe(
    'wss://h/a?token=…&x=1 and wss://h/b?x=1&token=…',
  );
});
