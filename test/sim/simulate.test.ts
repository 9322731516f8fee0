import { createWorkflow, createWorkflowServer, Event } from '../../src';
import { simulate } from '../../src/testing';
import * as hello from '../../src/workflows/hello';
import { memoryLogger } from '../helpers/memory-logger';

/** simulate(workflow) serves the workflow on a throwaway server and closes it whatever happens. */
describe('simulate(workflow)', () => {
  it('runs a workflow module on its own server, serves it on `workflow`, and closes the server after', async () => {
    const logs = memoryLogger();
    const run = await simulate(hello, {
      workflow: 'greeter',
      answers: ['Ana'],
      vars: { greeting: 'Hi' },
      server: { logger: logs.logger },
    });
    expect(run.says).toEqual(['What is your name?', 'Hi Ana!']);
    const messages = logs.lines().map((line) => line.msg);
    expect(messages).toContain('server closed');
    const listening = logs.lines().find((line) => line.msg === 'server listening');
    expect(Object.keys(listening?.workflows as object)).toEqual(['/greeter']);
  });

  it('closes its server when the run fails (a workflow that never ends times out)', async () => {
    const logs = memoryLogger();
    const stuck = createWorkflow((workflow) => {
      workflow.on(Event.START, () => undefined);
    });
    await expect(simulate(stuck, { timeoutMs: 200, server: { logger: logs.logger } })).rejects.toMatchObject({
      code: 'sim-timeout',
    });
    expect(logs.lines().map((line) => line.msg)).toContain('server closed');
  });

  it('leaves a server it was given open', async () => {
    const logs = memoryLogger();
    const server = createWorkflowServer({ logger: logs.logger, workflows: { hello } });
    await server.listen(0, '127.0.0.1');
    try {
      await simulate(server, { workflow: 'hello', answers: ['Bo'] });
      expect(server.httpServer.listening).toBe(true);
    } finally {
      await server.close(0);
    }
  });
});
