import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CREATE_COMMANDS, RELAY_CLI_VERSION } from '../helpers/relay-cli-flags';

interface ManifestFlag {
  type: 'option' | 'boolean';
  char?: string;
  required?: boolean;
  options?: string[];
}

describe(`the relay CLI flags table matches @relaypro/cli ${RELAY_CLI_VERSION} as published`, () => {
  let manifest: { commands: Record<string, { flags: Record<string, ManifestFlag> }> };

  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-cli-'));
    try {
      const tarball = execFileSync('npm', ['pack', '--silent', `@relaypro/cli@${RELAY_CLI_VERSION}`], {
        cwd: dir,
        encoding: 'utf8',
      }).trim();
      execFileSync('tar', ['xzf', tarball, 'package/oclif.manifest.json'], { cwd: dir });
      manifest = JSON.parse(readFileSync(join(dir, 'package', 'oclif.manifest.json'), 'utf8')) as typeof manifest;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(Object.keys(CREATE_COMMANDS))(
    '%s: same flags, short names, types, required flags and allowed values',
    (command) => {
      const published = manifest.commands[command]?.flags;
      expect(published).toBeDefined();
      const shape = (
        flags: Record<string, { type: string; char?: string; required?: boolean; options?: readonly string[] }>,
      ) =>
        Object.fromEntries(
          Object.entries(flags).map(([name, f]) => [
            name,
            { type: f.type, char: f.char ?? null, required: f.required === true, options: f.options ?? null },
          ]),
        );
      expect(shape(CREATE_COMMANDS[command]!)).toEqual(shape(published!));
    },
  );
});
