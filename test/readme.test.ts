import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const docs = readdirSync(join(root, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => ({ path: `docs/${name}`, text: readFileSync(join(root, 'docs', name), 'utf8') }));
/** Written by the engineers who add the HTTP routes and the Relay API client; linked ahead of them. */
const PLANNED_DOCS = new Set(['docs/http-routes.md', 'docs/relay-api.md']);

describe('the README', () => {
  it('shows the workflow test of test/workflows/readme-example.test.ts word for word', () => {
    const example = readFileSync(join(root, 'test', 'workflows', 'readme-example.test.ts'), 'utf8');
    expect(readme).toContain('```ts file=test/workflows/readme-example.test.ts\n' + example + '```');
  });

  it('registers args in its Registration example, as every sample does, and reads each with getVar', () => {
    const examples = [...readme.matchAll(/^ *```ts[^\n]*\n([\s\S]*?)^ *```$/gm)]
      .map(([, code = '']) => code)
      .filter((code) => code.includes('export const registration: Registration'));
    expect(examples).toHaveLength(1);
    const example = examples[0] ?? '';
    const names = [...(/^ *args: \{ (.*) \},/m.exec(example)?.[1]?.matchAll(/(\w+): /g) ?? [])].map(([, name]) => name);
    expect(names).not.toEqual([]);
    for (const name of names) expect(example).toContain(`workflow.getVar('${name}'`);
  });

  it('gives the test command CI runs, and names what else CI runs', () => {
    const ci = readFileSync(join(root, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/^npm test$/m);
    expect(readme).toContain('```sh\nnpm test\n```');
    for (const command of ci.match(/^npm run [a-z:]+$/gm) ?? []) expect(readme).toContain(`\`${command}\``);
  });

  it('stays short: at most 250 lines, with the run, write and test sections in its first 150', () => {
    const lines = readme.split('\n');
    expect(lines.length).toBeLessThanOrEqual(250);
    const firstScreens = lines.slice(0, 150).join('\n');
    for (const heading of ['## Run it', '## Write a workflow', '## Test it']) expect(firstScreens).toContain(heading);
  });

  it("shows src/workflows/index.ts's workflows map as the file declares it", () => {
    const index = readFileSync(join(root, 'src', 'workflows', 'index.ts'), 'utf8');
    const declaration = /^export const workflows: .*= \{$/m.exec(index)?.[0];
    expect(declaration).toBeDefined();
    expect(readme).toContain(declaration);
  });

  it.each([{ path: 'README.md', text: readme }, ...docs])('$path links only to files that exist', ({ path, text }) => {
    const base = path === 'README.md' ? root : join(root, 'docs');
    const targets = [...text.matchAll(/\]\(((?!https?:|#|<)[^)#\s]+)(?:#[^)]*)?\)/g)].map(
      (match) => match[1] as string,
    );
    const missing = targets.filter(
      (target) =>
        !existsSync(join(base, target)) && !PLANNED_DOCS.has(join(path === 'README.md' ? '' : 'docs', target)),
    );
    expect(missing).toEqual([]);
  });

  it.each([{ path: 'README.md', text: readme }, ...docs])('$path names only npm scripts that exist', ({ text }) => {
    const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const named = [...text.matchAll(/npm run ([a-z][a-z:-]*)/g)].map((match) => match[1] as string);
    expect(named.filter((name) => !Object.hasOwn(scripts, name))).toEqual([]);
  });
});
