import { simulate } from '../../src/testing';
import * as hello from '../../src/workflows/hello';

it('asks for a name and greets it', async () => {
  const run = await simulate(hello, { answers: ['Ana'] });
  expect(run.says).toEqual(['What is your name?', 'Hello Ana!']);
  expect(run.terminated).toBe(true);
});
