// `npm run dev`: the server, rebuilt and restarted on every change under src/. TypeScript's own
// watch mode (tsc --watch) recompiles what changed into dist/, and Node's (node --watch) restarts
// the server when a file it loaded changes; the server runs with the Procfile's node options.
const { spawn } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');
const { checkNodeVersion } = require('./check-node-version.cjs');

const root = join(__dirname, '..');

/** The node options of the Procfile's web command (`web: node <options> dist/server.js`). */
function procfileNodeArgs() {
  const web = readFileSync(join(root, 'Procfile'), 'utf8')
    .split('\n')
    .map((line) => /^web:\s*node\s+(.*?)\s*dist\/server\.js\s*$/.exec(line.trim()))
    .find((match) => match !== null);
  if (web === undefined)
    throw new Error('the Procfile has no "web: node [options] dist/server.js" line: npm run dev starts what it starts');
  return web[1].split(/\s+/).filter(Boolean);
}

if (!checkNodeVersion()) process.exit(1);
const nodeArgs = procfileNodeArgs();
const children = [];
let stopping = false;

function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  process.exitCode = code;
}

const tsc = spawn(
  process.execPath,
  [
    require.resolve('typescript/bin/tsc'),
    '-p',
    'src',
    '--watch',
    '--preserveWatchOutput',
    '--incremental',
    '--tsBuildInfoFile',
    'dist/.tsbuildinfo',
  ],
  {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
children.push(tsc);
let server;
tsc.stdout.setEncoding('utf8').on('data', (text) => {
  process.stderr.write(text.replace(/^\s*\n/gm, ''));
  // The first build is done: start the server; from now on node --watch restarts it.
  if (
    server === undefined &&
    text.includes('Watching for file changes') &&
    existsSync(join(root, 'dist', 'server.js'))
  ) {
    server = spawn(process.execPath, [...nodeArgs, '--watch', '--watch-preserve-output', 'dist/server.js'], {
      cwd: root,
      stdio: 'inherit',
    });
    children.push(server);
    server.once('exit', (code) => stop(code ?? 0));
  }
});
tsc.once('exit', (code) => stop(code ?? 1));
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => stop(0));
