import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, { types: string; default: string } | string>;
};

/**
 * The package's entries: `.` the runtime, `./testing` the simulator, `./dist/enums` 2.4.0's deep import
 * path; each built from the src/ file of its name.
 */
describe('package.json exports', () => {
  it.each([
    ['.', 'index'],
    ['./testing', 'testing'],
    ['./dist/enums', 'enums'],
    ['./dist/enums.js', 'enums'],
  ])('%s is dist/%s.js with its types, compiled from the src/ file of that name', (subpath, name) => {
    expect(pkg.exports[subpath]).toEqual({ types: `./dist/${name}.d.ts`, default: `./dist/${name}.js` });
    expect(existsSync(join(root, 'src', `${name}.ts`))).toBe(true);
  });

  it('keeps the simulator out of the runtime entry, and the runtime out of the testing entry', () => {
    const index = readFileSync(join(root, 'src', 'index.ts'), 'utf8');
    const testing = readFileSync(join(root, 'src', 'testing.ts'), 'utf8');
    expect(index).not.toMatch(/from '\.\/sim\//);
    expect(testing).not.toMatch(/from '\.\/(relay|http)\//);
  });
});
