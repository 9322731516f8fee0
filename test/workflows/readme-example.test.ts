import { createWorkflowServer, simulate } from '../../src';
import * as hello from '../../src/workflows/hello';

it('asks for a name and greets it', async () => {
  const server = createWorkflowServer({ workflows: { hello }, config: { logLevel: 'error' } });
  await server.listen(0, '127.0.0.1');
  const run = await simulate(server, { workflow: 'hello', answers: ['Ana'] });
  expect(run.says).toEqual(['What is your name?', 'Hello Ana!']);
  expect(run.terminated).toBe(true);
  await server.close();
});
