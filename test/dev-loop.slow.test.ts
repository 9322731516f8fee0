import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { simulate } from '../src/testing';
import { freePort } from './helpers/free-port';

const ROOT = join(__dirname, '..');

/** A copy of the project to edit (node_modules linked), so the test never touches this checkout's src/. */
function copyProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'relay-dev-loop-'));
  for (const path of ['src', 'scripts', 'tsconfig.json', 'package.json', 'Procfile', '.nvmrc'])
    cpSync(join(ROOT, path), join(dir, path), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

describe('npm run dev (scripts/dev.cjs)', () => {
  let dev: ChildProcess | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    if (dev !== undefined && dev.exitCode === null && dev.signalCode === null) {
      const exited = once(dev, 'exit');
      dev.kill('SIGTERM');
      await exited;
    }
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('serves an edited workflow without a manual restart', async () => {
    const dir = copyProject();
    dirs.push(dir);
    const port = await freePort();
    dev = spawn(process.execPath, ['scripts/dev.cjs'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const listening: Array<() => void> = [];
    let listens = 0;
    createInterface({ input: dev.stdout! }).on('line', (line) => {
      if (!line.includes('"msg":"server listening"')) return;
      listens += 1;
      listening.shift()?.();
    });
    const nextListening = () => new Promise<void>((resolve) => listening.push(resolve));

    await nextListening();
    expect((await simulate(`ws://127.0.0.1:${port}/hello`, { answers: ['Ana'] })).says[0]).toBe('What is your name?');

    const restarted = nextListening();
    const hello = join(dir, 'src', 'workflows', 'hello.ts');
    writeFileSync(hello, readFileSync(hello, 'utf8').replace("'What is your name?'", "'Who is there?'"));
    await restarted;
    expect((await simulate(`ws://127.0.0.1:${port}/hello`, { answers: ['Ana'] })).says[0]).toBe('Who is there?');
    expect(listens).toBe(2);
  }, 120_000);
});
