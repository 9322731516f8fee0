import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every installed copy of a package: `node_modules/**\/<name>/package.json`, nested ones included. */
function installedVersions(name: string, dir = join(__dirname, '..', '..', 'node_modules')): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  const manifest = join(dir, name, 'package.json');
  if (existsSync(manifest)) found.push((JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const scopeOrPackage = join(dir, entry.name);
    const packages = entry.name.startsWith('@') ? readdirSync(scopeOrPackage).map((child) => join(scopeOrPackage, child)) : [scopeOrPackage];
    for (const pkg of packages) found.push(...installedVersions(name, join(pkg, 'node_modules')));
  }
  return found;
}

function atLeast(version: string, minimum: string): boolean {
  const a = version.split('.').map(Number);
  const b = minimum.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

describe('installed dependencies', () => {
  it('has no copy of ws older than 8.17.1 (CVE-2024-37890: one crafted request crashes 8.8.0)', () => {
    const versions = installedVersions('ws');
    expect(versions.length).toBeGreaterThan(0);
    expect(versions.filter((version) => !atLeast(version, '8.17.1'))).toEqual([]);
    expect(new Set(versions).size).toBe(1);
  });

  it('keeps the SDK pinned to 2.4.0, its ws replaced through overrides', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      overrides: Record<string, string>;
    };
    expect(pkg.dependencies['@relaypro/sdk']).toBe('2.4.0');
    expect(pkg.overrides.ws).toBe('$ws');
    expect(installedVersions('@relaypro/sdk')).toEqual(['2.4.0']);
  });

  it('compares versions the way the check needs', () => {
    expect(atLeast('8.8.0', '8.17.1')).toBe(false);
    expect(atLeast('8.17.0', '8.17.1')).toBe(false);
    expect(atLeast('8.17.1', '8.17.1')).toBe(true);
    expect(atLeast('8.23.0', '8.17.1')).toBe(true);
  });
});
