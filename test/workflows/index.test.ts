import { workflows } from '../../src/workflows';

describe('the workflows this app serves', () => {
  it('each come with how to register them', () => {
    expect(Object.keys(workflows)).toEqual(expect.arrayContaining(['hello', 'panic', 'broadcast']));
    for (const module of Object.values(workflows)) expect(module.registration?.description).toEqual(expect.any(String));
  });

  it('suggest the phrase "help" for panic (the relay CLI has no triple tap) and an HTTP trigger for broadcast', () => {
    expect(workflows.panic?.registration).toMatchObject({
      trigger: { type: 'phrase', phrases: ['help'] },
      args: { responders: 'Security', escalation: 'Escalation', escalate_after_secs: 60 },
    });
    expect(workflows.broadcast?.registration).toMatchObject({
      trigger: { type: 'http' },
      args: { group: 'Security', timeout_secs: 120 },
    });
  });
});
