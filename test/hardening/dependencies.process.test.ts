import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';

const root = join(__dirname, '..', '..');

interface NpmTree {
  version?: string;
  dependencies?: Record<string, NpmTree>;
}

/** Every installed version of a package, as `npm ls --all --json` reports the tree (nested copies included). */
function installedVersions(name: string): string[] {
  // npm ls exits 1 on problems it also reports in the JSON; the tree is what counts here.
  let output: string;
  try {
    output = execFileSync('npm', ['ls', name, '--all', '--json'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch (error) {
    const stdout = (error as { stdout?: unknown }).stdout;
    output = typeof stdout === 'string' && stdout !== '' ? stdout : '{}';
  }
  const found: string[] = [];
  const walk = (tree: NpmTree) => {
    for (const [dependency, child] of Object.entries(tree.dependencies ?? {})) {
      if (dependency === name && child.version !== undefined) found.push(child.version);
      walk(child);
    }
  };
  walk(JSON.parse(output) as NpmTree);
  return found;
}

describe('installed dependencies', () => {
  it('has no copy of ws older than 8.17.1 (CVE-2024-37890: one crafted request crashes 8.8.0)', () => {
    const versions = installedVersions('ws');
    expect(versions.length).toBeGreaterThan(0);
    expect(versions.filter((version) => !semver.gte(version, '8.17.1'))).toEqual([]);
    expect(new Set(versions).size).toBe(1);
  });

  it('keeps the SDK pinned to 2.4.0, its ws replaced through overrides', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      overrides: Record<string, string>;
    };
    expect(pkg.dependencies['@relaypro/sdk']).toBe('2.4.0');
    expect(pkg.overrides.ws).toBe('$ws');
    expect([...new Set(installedVersions('@relaypro/sdk'))]).toEqual(['2.4.0']);
  });
});
