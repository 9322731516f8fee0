/**
 * The TypeScript a user copies out of README.md and docs/ compiles and lints as the user's own file
 * would. Every `ts` block says what it is in its info string: `ts file=<path>` is a whole file the
 * user writes at that path of this project (it is written there in a copy of the project,
 * type-checked with tsconfig.json and linted with test/eslint.config.mjs), `ts fragment` a piece
 * to read or adapt, never compiled. A block with neither fails, so none is skipped silently.
 *
 * A named file that the project already has (src/routes/index.ts) must import everything the
 * project's own file imports, so that copying it drops nothing that ships. ESLint runs as one child
 * process: its API loads the `.mjs` config with `import()`, which Jest's module system refuses.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

const root = join(__dirname, '..');

interface Block {
  /** `README.md:49`: where the block's opening fence is. */
  where: string;
  lang: string;
  meta: string;
  code: string;
}

/** The fenced blocks of a Markdown text, their indentation (a block in a list item) removed. */
function fencedBlocks(path: string, text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[i] ?? '');
    if (open === null) continue;
    const [, indent = '', fence = '', lang = '', meta = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const line = lines[j] ?? '';
      if (line.trim().startsWith(fence) && line.trim().replaceAll(fence[0] ?? '`', '') === '') break;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    blocks.push({ where: `${path}:${i + 1}`, lang, meta: meta.trim(), code: `${body.join('\n')}\n` });
    i = j;
  }
  return blocks;
}

const markdown = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const TS = new Set(['ts', 'typescript', 'tsx', 'js', 'javascript', 'mjs', 'cjs']);
const blocks = markdown.flatMap((path) => fencedBlocks(path, readFileSync(join(root, path), 'utf8')));
const tsBlocks = blocks.filter(({ lang }) => TS.has(lang));
const fileOf = (block: Block) => /^file=(\S+)$/.exec(block.meta)?.[1];
const copied = tsBlocks.flatMap((block) => {
  const file = fileOf(block);
  return file === undefined ? [] : [{ ...block, file }];
});

/** Module specifiers a TypeScript file imports. */
function importsOf(path: string, code: string): string[] {
  const source = ts.createSourceFile(path, code, ts.ScriptTarget.Latest);
  return source.statements.flatMap((statement) =>
    ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)
      ? [statement.moduleSpecifier.text]
      : [],
  );
}

/** Runs a command; resolves with its exit code and output, whatever the code. */
function run(file: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the code blocks of README.md and docs/', () => {
  it('mark every TypeScript block as a file to copy (ts file=<path>) or a fragment (ts fragment)', () => {
    const unmarked = tsBlocks.filter((block) => block.meta !== 'fragment' && fileOf(block) === undefined);
    expect(unmarked.map(({ where, lang, meta }) => `${where}: \`\`\`${lang} ${meta}`)).toEqual([]);
    expect(copied.length).toBeGreaterThanOrEqual(5);
  });

  it('name each file once, inside src/ or test/', () => {
    const files = copied.map(({ file }) => file);
    expect(files.filter((file, i) => files.indexOf(file) !== i)).toEqual([]);
    expect(files.filter((file) => !/^(src|test)\/[\w/.-]+\.ts$/.test(file) || file.includes('..'))).toEqual([]);
  });

  it.each(copied.filter(({ file }) => existsSync(join(root, file))).map((block) => [block.where, block] as const))(
    '%s imports all the project file imports, so that copying it drops nothing that ships',
    (_where, block) => {
      const shipped = importsOf(block.file, readFileSync(join(root, block.file), 'utf8'));
      const shown = new Set(importsOf(block.file, block.code));
      expect(shipped.filter((specifier) => !shown.has(specifier))).toEqual([]);
    },
  );

  describe('copied into a copy of the project', () => {
    let project: string;

    beforeAll(() => {
      project = mkdtempSync(join(tmpdir(), 'docs-code-blocks-'));
      cpSync(join(root, 'src'), join(project, 'src'), { recursive: true });
      for (const file of ['tsconfig.json', 'package.json', 'test/eslint.config.mjs'])
        cpSync(join(root, file), join(project, file));
      symlinkSync(join(root, 'node_modules'), join(project, 'node_modules'), 'dir');
      for (const { file, code } of copied) {
        mkdirSync(dirname(join(project, file)), { recursive: true });
        writeFileSync(join(project, file), code);
      }
    });

    afterAll(() => rmSync(project, { recursive: true, force: true }));

    it('type-check with tsconfig.json (one program: the project and every block)', () => {
      const parsed = ts.getParsedCommandLineOfConfigFile(
        join(project, 'tsconfig.json'),
        {},
        {
          ...ts.sys,
          onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
            throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
          },
        },
      );
      if (parsed === undefined) throw new Error('tsconfig.json could not be read');
      const program = ts.createProgram({ rootNames: parsed.fileNames, options: { ...parsed.options, noEmit: true } });
      const where = new Map(copied.map(({ file, where: at }) => [join(project, file), at]));
      const problems = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
        const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
        if (diagnostic.file === undefined || diagnostic.start === undefined) return message;
        const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
        const name = diagnostic.file.fileName;
        const at = where.get(name) ?? relative(project, name);
        return `${at} (${relative(project, name)} line ${line + 1}): ${message}`;
      });
      expect(problems).toEqual([]);
    });

    it('lint with test/eslint.config.mjs, as npm run lint does', async () => {
      const files = copied.map(({ file }) => file);
      const eslint = join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');
      const { code, stdout, stderr } = await run(
        process.execPath,
        [eslint, '--config', 'test/eslint.config.mjs', '--format', 'json', ...files],
        project,
      );
      if (stdout.trim() === '') throw new Error(`eslint printed nothing (exit code ${code}): ${stderr}`);
      const results = JSON.parse(stdout) as Array<{
        filePath: string;
        messages: Array<{ line: number; ruleId: string | null; message: string }>;
      }>;
      const where = new Map(copied.map(({ file, where: at }) => [join(project, file), at]));
      const problems = results.flatMap(({ filePath, messages }) =>
        messages.map(
          ({ line, ruleId, message }) =>
            `${where.get(filePath) ?? filePath} (line ${line} of the block): ${message} (${ruleId ?? 'parse'})`,
        ),
      );
      expect(problems).toEqual([]);
      expect(results).toHaveLength(files.length);
    }, 60_000);
  });
});
