// `npm run dev`: the server, rebuilt and restarted on every change under src/ and to .env.
// TypeScript's own watch mode (tsc --watch) recompiles what changed into dist/; each time it has
// finished a build this script restarts the server (run with the Procfile's node options), and it
// does the same when .env changes, since the server reads .env only as it starts.
//
// A restart sends the server SIGUSR2, which it takes as "restart now" (src/run-server.ts): open
// sessions end at once with close code 1012 (service restart), where SIGTERM would give them
// SHUTDOWN_GRACE_MS to finish, so a restart takes about a second even with `npm run sim` connected.
// Production never sees it: Heroku stops dynos with SIGTERM, which keeps its grace.
//
// SIGINT or SIGTERM stops tsc and the server (SIGTERM: it starts draining its sessions). In
// development the drain is cut short: a server still running KILL_AFTER_MS later, or when a second
// SIGINT or SIGTERM comes, is killed. When this script exits by process.exit() or an exception
// nothing caught, it kills what it started on the way out (a signal that kills it outright, such as
// SIGKILL, leaves no time for that).
const { spawn } = require('node:child_process');
const { existsSync, readFileSync, watch } = require('node:fs');
const { join } = require('node:path');
const { createInterface } = require('node:readline');
const { checkNodeVersion } = require('./check-node-version.cjs');

const root = join(__dirname, '..');

/** What asks the server to restart now (nodemon's restart signal too); see src/run-server.ts. */
const RESTART_SIGNAL = 'SIGUSR2';
/**
 * A server still running this long after RESTART_SIGNAL (a workflow stuck in a loop, say) or after
 * SIGTERM is killed; in development nobody waits out SHUTDOWN_GRACE_MS's 25 s.
 */
const KILL_AFTER_MS = 10_000;
/** Editors write a file in more than one step (truncate, write; or write a copy, rename): one restart for them all. */
const SETTLE_MS = 100;

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

function say(line) {
  process.stderr.write(`dev: ${line}\n`);
}

if (!checkNodeVersion()) process.exit(1);
const nodeArgs = procfileNodeArgs();
/** The running server process, if any. */
let server;
/** Whether a new server starts when the running one has exited. */
let restartDue = false;
let killTimer;
let stopping = false;

function startServer() {
  // A build that tsc reports after a stop began (its last line is read late) starts nothing.
  if (stopping) return;
  const child = spawn(process.execPath, [...nodeArgs, 'dist/server.js'], { cwd: root, stdio: 'inherit' });
  server = child;
  child.on('error', (err) => {
    // Node reports a signal it could not send this way too; that server runs on.
    if (child.pid !== undefined) {
      say(`cannot signal the server (${err.message})`);
      return;
    }
    // It never started, so no 'exit' follows.
    if (server === child) server = undefined;
    if (!stopping) say(`cannot start the server (${err.message}); it starts again on the next change to src/ or .env`);
  });
  child.once('exit', (code, signal) => {
    clearTimeout(killTimer);
    server = undefined;
    if (stopping) return;
    if (restartDue) {
      restartDue = false;
      startServer();
      return;
    }
    say(`the server exited (${signal ?? `code ${code}`}); it starts again on the next change to src/ or .env`);
  });
}

/** Starts the server, or restarts the running one once it has ended its sessions; `why` is printed. */
function restart(why) {
  if (stopping) return;
  if (server === undefined) {
    say(`${why}: starting the server`);
    startServer();
    return;
  }
  if (restartDue) return;
  restartDue = true;
  say(`${why}: restarting the server`);
  signalServer(RESTART_SIGNAL);
}

/** Sends the running server `signal`, and SIGKILL if it is still running KILL_AFTER_MS later. */
function signalServer(signal) {
  server.kill(signal);
  killTimer = setTimeout(() => {
    say(`the server did not stop within ${KILL_AFTER_MS / 1000} s of ${signal}: killing it`);
    server?.kill('SIGKILL');
  }, KILL_AFTER_MS);
}

/**
 * Calls `changed` when the content of `.env` in the project root changes (created and deleted
 * included). A `.env` that cannot be read (a directory, say) is taken as unchanged, with one line
 * each time it is found so: what it holds is compared once it can be read again.
 */
function watchDotenv(changed) {
  const path = join(root, '.env');
  let last;
  const read = () => {
    try {
      return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    } catch (err) {
      say(`cannot read .env (${err.message}): taken as unchanged until it can be read`);
      return last;
    }
  };
  last = read();
  let settle;
  // The directory, not the file: an editor that saves by renaming a copy over .env replaces the file watched.
  const watcher = watch(root, (_event, filename) => {
    if (filename !== '.env') return;
    clearTimeout(settle);
    settle = setTimeout(() => {
      const now = read();
      if (now === last) return;
      last = now;
      changed();
    }, SETTLE_MS);
  });
  watcher.on('error', (err) => {
    say(`cannot watch .env any more (${err.message}): restart npm run dev after editing it`);
    watcher.close();
  });
  return {
    close() {
      clearTimeout(settle);
      watcher.close();
    },
  };
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
tsc.on('error', (err) => {
  // Node reports a signal it could not send this way too; tsc runs on.
  if (tsc.pid !== undefined) {
    say(`cannot signal tsc (${err.message})`);
    return;
  }
  say(`cannot start tsc (${err.message}): stopping`);
  stop(1);
});
// A child outlives its parent unless killed: a server left running would hold PORT and write to
// the terminal, a tsc would rebuild for nobody. 'exit' handlers run on process.exit() and on an
// exception nothing caught (not when this process is killed by a signal it does not handle), and
// only synchronous work happens in them, which kill() is.
process.on('exit', (code) => {
  const running = [server !== undefined && 'the server', isRunning(tsc) && 'tsc'].filter(Boolean);
  if (running.length === 0) return;
  // The kills first: they are the point, the line only says so.
  server?.kill('SIGKILL');
  tsc.kill('SIGKILL');
  say(`exiting (code ${code}): killed ${running.join(' and ')}`);
});
let built = false;
createInterface({ input: tsc.stdout }).on('line', (line) => {
  if (line.trim() !== '') process.stderr.write(`${line}\n`);
  // tsc --watch ends each build's report with this line, the first one included.
  if (!line.includes('Watching for file changes') || !existsSync(join(root, 'dist', 'server.js'))) return;
  if (!built) startServer();
  else restart('src/ was rebuilt');
  built = true;
});
const dotenv = watchDotenv(() => {
  if (built) restart('.env changed');
});

/** Whether `child` started and has not exited (as far as this process has heard). */
function isRunning(child) {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Stops tsc and the server (SIGTERM: it drains its sessions, for up to KILL_AFTER_MS); this process then exits with `code`. */
function stop(code) {
  if (stopping) return;
  stopping = true;
  dotenv.close();
  clearTimeout(killTimer);
  tsc.kill('SIGTERM');
  process.exitCode = code;
  if (server !== undefined) signalServer('SIGTERM');
}

tsc.once('exit', (code) => stop(code ?? 1));
// Not `once`: after it, the default action would end this process alone and leave the server draining.
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    if (!stopping) {
      stop(0);
      return;
    }
    // Once stopping, a signal means "now": the 'exit' handler kills what still runs.
    say(`${signal} while stopping: exiting now`);
    process.exit();
  });
