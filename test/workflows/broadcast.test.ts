import { createWorkflowServer, Uri, type WorkflowServer } from '../../src';
import { simulate, type SimulateOptions } from '../../src/testing';
import * as broadcast from '../../src/workflows/broadcast';
import { memoryLogger } from '../helpers/memory-logger';

const MESSAGE = 'Code grey in lobby 7c1e';
const FLOOR = Uri.groupName('Floor 2');

describe('the broadcast workflow', () => {
  let server: WorkflowServer;
  let logs: ReturnType<typeof memoryLogger>;

  beforeEach(() => {
    logs = memoryLogger();
    server = createWorkflowServer({ logger: logs.logger, workflows: { broadcast } });
    return server.listen(0, '127.0.0.1');
  });

  afterEach(() => server.close(0));

  /** One HTTP-triggered run with `args` as the trigger's args; Floor 2 = Bob, Carol, Dana unless overridden. */
  const run = (args: Record<string, unknown>, options: SimulateOptions = {}) =>
    simulate(server, {
      workflow: 'broadcast',
      trigger: { type: 'http', args },
      groups: { 'Floor 2': ['Bob', 'Carol', 'Dana'] },
      ...options,
    });

  /** What the workflow logged, without the server's own lines. */
  const workflowLines = () =>
    logs.lines().filter((line) => line.workflow === 'broadcast' && /^broadcast/.test(String(line.msg)));

  it('broadcasts to the group, stops as soon as every member has acknowledged, and logs the counts', async () => {
    const result = await run({ group: 'Floor 2', message: MESSAGE });
    expect(result.notifications).toEqual([
      {
        type: 'broadcast',
        name: 'broadcast',
        text: MESSAGE,
        originator: Uri.deviceName('Sim'),
        target: [FLOOR],
        acknowledgedBy: ['Bob', 'Carol', 'Dana'].map(Uri.deviceName),
      },
    ]);
    expect(result.timers).toEqual([
      { name: 'broadcast timeout', type: 'timeout', delayMs: 120_000, fired: 0, cleared: true },
    ]);
    expect(result.terminated).toBe(true);
    expect(workflowLines()).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'broadcast summary',
        outcome: 'all acknowledged',
        members: 3,
        acknowledged: 3,
        timedOut: 0,
      }),
    ]);
  });

  it('logs who timed out when some members do not acknowledge within timeout_secs', async () => {
    const result = await run(
      { group: 'Floor 2', message: MESSAGE, timeout_secs: 30 },
      { acknowledgers: ['Carol'], timerSpeedup: 1000 },
    );
    expect(result.timers).toEqual([
      { name: 'broadcast timeout', type: 'timeout', delayMs: 30, fired: 1, cleared: false },
    ]);
    expect(result.terminated).toBe(true);
    expect(workflowLines()).toEqual([
      expect.objectContaining({
        msg: 'broadcast summary',
        outcome: 'timed out',
        members: 3,
        acknowledged: 1,
        timedOut: 2,
      }),
    ]);
  });

  it('reads group, message and timeout_secs from the registration args when the trigger lacks them', async () => {
    const result = await run(
      {},
      { vars: { group: 'Floor 2', message: MESSAGE, timeout_secs: '45' }, acknowledgers: 'none', timerSpeedup: 1000 },
    );
    expect(result.notifications.map(({ target, text }) => ({ target, text }))).toEqual([
      { target: [FLOOR], text: MESSAGE },
    ]);
    expect(result.timers[0]?.delayMs).toBe(45);
  });

  it('lets the trigger args win over the registration args', async () => {
    const result = await run(
      { group: 'Floor 2', message: MESSAGE },
      {
        vars: { group: 'Everyone', message: 'registration text' },
        groups: { 'Floor 2': ['Bob'], Everyone: ['Bob', 'Eve'] },
      },
    );
    expect(result.notifications.map(({ target, text }) => ({ target, text }))).toEqual([
      { target: [FLOOR], text: MESSAGE },
    ]);
  });

  it('waits 120 s by default (a missing or unusable timeout_secs)', async () => {
    const result = await run(
      { group: 'Floor 2', message: MESSAGE, timeout_secs: 'soon' },
      { acknowledgers: 'none', timerSpeedup: 1000 },
    );
    expect(result.timers[0]?.delayMs).toBe(120);
    expect(workflowLines()).toEqual([
      expect.objectContaining({ outcome: 'timed out', members: 3, acknowledged: 0, timedOut: 3 }),
    ]);
  });

  it.each([
    [{ message: MESSAGE }, ['group']],
    [{ group: 'Floor 2' }, ['message']],
    [{ group: ' ', message: '' }, ['group', 'message']],
  ])('sends nothing, warns naming the missing arg and terminates, given %j', async (args, missing) => {
    const result = await run(args);
    expect(result.notifications).toEqual([]);
    expect(result.terminated).toBe(true);
    expect(workflowLines()).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: `broadcast not sent: missing arg ${missing.join(' and ')}`,
        missing,
      }),
    ]);
  });

  it('sends nothing to a group without members, and says so in the log', async () => {
    const result = await run({ group: 'Floor 2', message: MESSAGE }, { groups: { 'Floor 2': [] } });
    expect(result.notifications).toEqual([]);
    expect(result.timers).toEqual([]);
    expect(result.terminated).toBe(true);
    expect(workflowLines()).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'broadcast not sent: the group has no members', members: 0 }),
    ]);
  });

  it('logs a warning and terminates when the Relay server refuses the broadcast', async () => {
    const result = await run(
      { group: 'Floor 2', message: MESSAGE },
      { errors: { notification: 'notification_failed' } },
    );
    expect(result.requests.filter((frame) => frame._type === 'wf_api_notification_request')).toHaveLength(1);
    expect(result.timers).toEqual([expect.objectContaining({ cleared: true, fired: 0 })]);
    expect(result.terminated).toBe(true);
    expect(workflowLines()).toEqual([
      expect.objectContaining({
        level: 'warn',
        msg: 'broadcast not sent: the Relay server refused the broadcast',
        members: 3,
      }),
    ]);
  });

  it('logs a warning and terminates when the group cannot be listed', async () => {
    const result = await run({ group: 'Floor 2', message: MESSAGE }, { errors: { group_query: 'group_not_found' } });
    expect(result.notifications).toEqual([]);
    expect(result.terminated).toBe(true);
    expect(workflowLines()).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'broadcast not sent: could not list the group' }),
    ]);
  });

  it('never logs the group, on any path that gives up (docs/webhooks.md: the group is never logged)', async () => {
    await run({ group: 'Floor 2', message: MESSAGE }, { groups: { 'Floor 2': [] } });
    await run({ group: 'Floor 2', message: MESSAGE }, { errors: { group_query: 'group_not_found' } });
    await run({ group: 'Floor 2', message: MESSAGE }, { errors: { notification: 'notification_failed' } });
    expect(workflowLines().map(({ msg }) => msg)).toEqual([
      'broadcast not sent: the group has no members',
      'broadcast not sent: could not list the group',
      'broadcast not sent: the Relay server refused the broadcast',
    ]);
    expect(logs.text()).not.toContain('Floor 2');
  });

  it('never logs the message text, at info or above', async () => {
    await run({ group: 'Floor 2', message: MESSAGE }, { acknowledgers: ['Bob'], timerSpeedup: 1000 });
    await run({ group: 'Floor 2', message: MESSAGE }, { errors: { notification: 'notification_failed' } });
    expect(workflowLines()).toHaveLength(2);
    expect(logs.text()).not.toContain('7c1e');
  });
});
