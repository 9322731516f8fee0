import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The version an older Node reports when none is installed and one is played (see {@link olderNode}). */
const PLAYED_VERSION = '20.20.2';

export interface OlderNode {
  /** A directory whose `node` is the older Node: put it first on PATH, so npm and its scripts run on it. */
  binDir: string;
  /** What `node -v` says there, without the `v`. */
  version: string;
  /** Whether it is a real older Node (else the current one reporting {@link PLAYED_VERSION}). */
  real: boolean;
}

/**
 * A Node older than 22 to run child processes on: a real one from PATH or /usr/bin (Debian's
 * Node 20 on the project's machines), else this Node made to report 20.20.2 in
 * `process.versions.node` (what the version checks read; the features stay Node 24's).
 */
export function olderNode(): OlderNode {
  const binDir = mkdtempSync(join(tmpdir(), 'relay-older-node-'));
  const candidates = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin']
    .map((dir) => join(dir, 'node'))
    .filter((path) => existsSync(path));
  for (const path of candidates) {
    const version = spawnSync(path, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout?.trim() ?? '';
    if (/^\d+\./.test(version) && Number(version.split('.')[0]) < 22) {
      symlinkSync(path, join(binDir, 'node'));
      return { binDir, version, real: true };
    }
  }
  const preload = join(binDir, 'played-version.js');
  writeFileSync(preload, `Object.defineProperty(process.versions, 'node', { value: '${PLAYED_VERSION}' });\n`);
  writeFileSync(join(binDir, 'node'), `#!/bin/sh\nexec '${process.execPath}' --require '${preload}' "$@"\n`);
  chmodSync(join(binDir, 'node'), 0o755);
  return { binDir, version: PLAYED_VERSION, real: false };
}
