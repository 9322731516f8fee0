import { createWorkflow, createWorkflowServer, Event } from '../../src';
import { simulate } from '../../src/testing';
import { memoryLogger } from '../helpers/memory-logger';

describe('workflow.log', () => {
  it("is the session's logger: a workflow's lines carry the session id and workflow name, and private fields stay censored", async () => {
    const logs = memoryLogger();
    const noisy = createWorkflow((workflow) => {
      workflow.on(Event.START, async () => {
        workflow.log.info({ count: 2, text: 'said aloud' }, 'counted');
        await workflow.terminate();
      });
    });
    const server = createWorkflowServer({ logger: logs.logger, workflows: { noisy } });
    await server.listen(0, '127.0.0.1');
    try {
      await simulate(server, { workflow: 'noisy' });
    } finally {
      await server.close(0);
    }
    const opened = logs.lines().find((line) => line.msg === 'session opened');
    const counted = logs.lines().find((line) => line.msg === 'counted');
    expect(counted).toEqual(
      expect.objectContaining({
        level: 'info',
        workflow: 'noisy',
        session: opened?.session,
        count: 2,
        text: '[private]',
      }),
    );
    expect(typeof opened?.session).toBe('string');
  });
});
