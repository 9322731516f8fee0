// Run by `npm run dev`, `npm start` (prestart) and every test command (pretest, pretest:one, ...):
// says clearly when this Node is not the project's (.nvmrc; Heroku installs the newest Node that
// package.json's engines.node allows, the same major), and how to get it. An older major stops the
// command (the build, the server and the tests need its features); a newer one only warns.
// Plain CommonJS, so it runs before anything is compiled.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

/** Returns true when the command may go on; prints the message (to stderr) otherwise or on a newer major. */
function checkNodeVersion(version = process.versions.node) {
  const wanted = Number(
    readFileSync(join(__dirname, '..', '.nvmrc'), 'utf8')
      .trim()
      .split('.')[0],
  );
  const major = Number(version.split('.')[0]);
  if (major === wanted) return true;
  const older = major < wanted;
  process.stderr.write(
    [
      `This project runs on Node ${wanted} (.nvmrc), and this is Node ${version}${older ? ': stopping.' : ': going on, but this is not what Heroku runs.'}`,
      `Get Node ${wanted} with any one of:`,
      ...[
        ['nvm install && nvm use', 'nvm reads .nvmrc: https://github.com/nvm-sh/nvm'],
        ['fnm use --install-if-missing', 'fnm reads .nvmrc: https://github.com/Schniz/fnm'],
        [`volta install node@${wanted}`, 'https://volta.sh'],
      ].map(([command, where]) => `  ${command.padEnd(32)}(${where})`),
      `or the installer from https://nodejs.org/en/download (Node ${wanted}).`,
      '',
    ].join('\n'),
  );
  return !older;
}

module.exports = { checkNodeVersion };

if (require.main === module && !checkNodeVersion()) process.exit(1);
