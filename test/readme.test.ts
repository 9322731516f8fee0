import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

describe('the README', () => {
  it('shows the workflow test of test/workflows/readme-example.test.ts word for word', () => {
    const example = readFileSync(join(root, 'test', 'workflows', 'readme-example.test.ts'), 'utf8');
    expect(readme).toContain('```ts\n' + example + '```');
  });

  it('gives the test command CI runs', () => {
    const ci = readFileSync(join(root, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/^npm test$/m);
    expect(readme).toContain('```sh\nnpm test\n```');
  });
});
