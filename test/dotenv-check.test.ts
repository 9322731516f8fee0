import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV_VARIABLES } from '../src/config';
import { checkDotenv } from '../src/dotenv-check';

function dotenv(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'relay-dotenv-check-')), '.env');
  writeFileSync(file, text);
  return file;
}

describe('checkDotenv', () => {
  it('names a key this app does not read and the known name it is closest to', () => {
    const file = dotenv('PROT=9090\nLOG_LEVL=debug\nworkflow_tokn=abc\n');
    expect(checkDotenv(file)).toEqual([
      `${file}: PROT is not a variable this app reads (did you mean PORT?); it is ignored`,
      `${file}: LOG_LEVL is not a variable this app reads (did you mean LOG_LEVEL?); it is ignored`,
      `${file}: workflow_tokn is not a variable this app reads (did you mean WORKFLOW_TOKEN?); it is ignored`,
    ]);
  });

  it('says where the known names are when none is close', () => {
    const file = dotenv('DATABASE_URL=postgres://x\n');
    expect(checkDotenv(file)).toEqual([
      `${file}: DATABASE_URL is not a variable this app reads (the ones it reads are listed in .env.example); it is ignored`,
    ]);
  });

  it('gives the number of a line that is not KEY=value, never its text', () => {
    const file = dotenv('PORT=9090\nsecret-token-without-a-key\n');
    const warnings = checkDotenv(file);
    expect(warnings).toEqual([
      `${file} line 2 is not KEY=value; it is ignored (the line is not shown: it may hold a secret)`,
    ]);
    expect(warnings.join('')).not.toContain('secret-token');
  });

  it('accepts every variable of ENV_VARIABLES, comments, blank lines, export and quoted values over several lines', () => {
    const known = Object.keys(ENV_VARIABLES).map((name) => `${name}=x`);
    const file = dotenv(
      [
        '# a comment',
        '',
        ...known,
        'export PORT=1',
        '  HOST = "0.0.0.0"  ',
        'WORKFLOW_TOKEN="first',
        'not a key line',
        'last"',
        "LOG_LEVEL='info'",
      ].join('\n'),
    );
    expect(checkDotenv(file)).toEqual([]);
  });

  it('is quiet without a file, and truncates a very long unknown key', () => {
    expect(checkDotenv(join(tmpdir(), 'no-such-dir', '.env'))).toEqual([]);
    const [warning] = checkDotenv(dotenv(`${'A'.repeat(500)}=1\n`));
    expect(warning).toContain(`${'A'.repeat(60)}…`);
    expect(warning?.length).toBeLessThan(200);
  });
});
