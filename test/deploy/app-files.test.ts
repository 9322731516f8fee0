import Ajv from 'ajv';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { ENV_VARIABLES } from '../../src/config';
import { MIN_NODE_VERSION } from '../../src/node-support';
import schema from './app-json.schema.json';
import { readProcfile } from '../helpers/read-procfile';

const ROOT = join(__dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** The comment line right above each `NAME=` line of .env.example. */
function envExampleDescriptions(text: string): Record<string, string> {
  const lines = text.split('\n');
  const found: Record<string, string> = {};
  lines.forEach((line, i) => {
    const match = /^([A-Z0-9_]+)=/.exec(line);
    if (match !== null) found[match[1]!] = (lines[i - 1] ?? '').replace(/^#\s?/, '');
  });
  return found;
}

describe('what Heroku reads from this repository', () => {
  it('the Procfile declares exactly one web process, which runs the compiled server', () => {
    const processes = readProcfile(read('Procfile'));
    const web = processes.filter((p) => p.type === 'web');
    expect(web).toHaveLength(1);
    expect(web[0]?.command).toMatch(/^node( --[a-z-]+=\S+)* dist\/server\.js$/);
    expect(new Set(processes.map((p) => p.type)).size).toBe(processes.length);
  });

  it('the Procfile registers the workflows in the release phase, with the compiled register entry', () => {
    const release = readProcfile(read('Procfile')).filter((p) => p.type === 'release');
    expect(release).toEqual([{ type: 'release', command: 'node dist/register.js --release' }]);
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(`${pkg.scripts.register} --release`).toBe(release[0]?.command);
  });

  it('`npm start` runs what the Procfile runs, so a local start behaves as a dyno does', () => {
    const [web] = readProcfile(read('Procfile')).filter((p) => p.type === 'web');
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(web?.command);
  });

  it("engines.node states the runtime's oldest Node and, as its newest line, .nvmrc's major (what Heroku installs)", () => {
    const pkg = JSON.parse(read('package.json')) as { engines?: { node?: string } };
    const app = read('.nvmrc').trim();
    expect(pkg.engines?.node).toBe(`^${MIN_NODE_VERSION} || ${app}.x`);
    // Heroku installs the newest release the range allows: the .nvmrc line, never a later one.
    const releases = [
      '22.0.0',
      MIN_NODE_VERSION,
      '23.11.1',
      `${app}.0.0`,
      `${app}.99.0`,
      `${Number(app) + 1}.0.0`,
      '99.0.0',
    ];
    expect(semver.maxSatisfying(releases, pkg.engines?.node ?? '')).toBe(`${app}.99.0`);
    expect(semver.satisfies('22.0.0', pkg.engines?.node ?? '')).toBe(false);
  });

  it('app.json is valid against the app.json schema written from the Dev Center reference', () => {
    const validate = new Ajv({ allErrors: true }).compile(schema);
    const valid = validate(JSON.parse(read('app.json')));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the schema can fail: it refuses a misspelt key, a formation array and a bad dyno size', () => {
    const validate = new Ajv({ allErrors: true }).compile(schema);
    expect(validate({ envs: {} })).toBe(false);
    expect(validate({ formation: [{ process: 'web', quantity: 1 }] })).toBe(false);
    expect(validate({ formation: { web: { quantity: 1, size: 'huge' } } })).toBe(false);
    expect(validate({ env: { X: { description: 'd', required: 'no' } } })).toBe(false);
  });

  it('config.ts lists exactly the variables its source reads', () => {
    const source = read('src/config.ts');
    const names = [...source.matchAll(/value\('([A-Z0-9_]+)'\)/g)].map((m) => m[1]);
    expect(new Set(names)).toEqual(new Set(Object.keys(ENV_VARIABLES)));
    const readers = readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts') && read(join('src', file)).includes('process.env'))
      .map((file) => file.replaceAll('\\', '/'));
    expect(readers).toEqual(['config.ts']);
  });

  it('app.json env and .env.example list every variable, with the same description', () => {
    const app = JSON.parse(read('app.json')) as { env: Record<string, { description?: string }> };
    const appDescriptions = Object.fromEntries(Object.entries(app.env).map(([name, v]) => [name, v.description]));
    expect(appDescriptions).toEqual(ENV_VARIABLES);
    expect(envExampleDescriptions(read('.env.example'))).toEqual(ENV_VARIABLES);
  });

  it('the README configuration table has a row for every variable', () => {
    const rows = new Set([...read('README.md').matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
    expect(Object.keys(ENV_VARIABLES).filter((name) => !rows.has(name))).toEqual([]);
  });
});
