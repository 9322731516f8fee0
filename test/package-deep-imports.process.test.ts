import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sdkEnums from '@relaypro/sdk/dist/enums';
import { BUILD_DIR } from './global-setup';

// Relay's 2.x samples import their enums from a deep path: `import { Event } from
// '@relaypro/sdk/dist/enums'`. Moved over, that line names this package, and its `exports` map
// decides what resolves. A user's app here: node_modules/relay-heroku-workflows holds the real
// package.json, and its dist/ is the test run's build of src/ (as `npm install <this repo>` links it).
const ROOT = join(__dirname, '..');

function userApp(): string {
  const app = mkdtempSync(join(tmpdir(), 'relay-deep-import-'));
  const pkg = join(app, 'node_modules', 'relay-heroku-workflows');
  mkdirSync(pkg, { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(BUILD_DIR, join(pkg, 'dist'), 'dir');
  return app;
}

/** Runs `source` as the user's file `name` in `app`; resolves with what it printed, or the error. */
function run(app: string, name: string, source: string): { status: number | null; stdout: string; stderr: string } {
  writeFileSync(join(app, name), source);
  const { status, stdout, stderr } = spawnSync(process.execPath, [name], { cwd: app, encoding: 'utf8' });
  return { status, stdout, stderr };
}

describe("deep imports an app written for 2.4.0 uses, from the user's own files", () => {
  const app = userApp();

  it("require('relay-heroku-workflows/dist/enums') gives 2.4.0's enums, the same Event as the main entry", () => {
    const result = run(
      app,
      'app.cjs',
      `const enums = require('relay-heroku-workflows/dist/enums');
       const withJs = require('relay-heroku-workflows/dist/enums.js');
       const main = require('relay-heroku-workflows');
       console.log(JSON.stringify({
         start: enums.Event.START, english: enums.Language.ENGLISH, single: enums.Taps.SINGLE,
         relay2: enums.DeviceType.RELAY2, name: enums.DeviceInfoQuery.NAME, sameEvent: enums.Event === main.Event,
         withJs: withJs === enums, names: Object.keys(enums).sort(),
       }));`,
    );
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      start: 'start',
      english: 'en-US',
      single: 'single',
      relay2: 'relay2',
      name: 'name',
      sameEvent: true,
      withJs: true,
      // Every name 2.4.0's dist/enums exports.
      names: Object.keys(sdkEnums).sort(),
    });
  });

  it('import { Event } from an ES module works too', () => {
    const result = run(
      app,
      'app.mjs',
      `import { Event, Notification } from 'relay-heroku-workflows/dist/enums';
       console.log(Event.START, Notification.ALERT);`,
    );
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('start alert');
  });

  it('other paths inside dist/ stay private (ERR_PACKAGE_PATH_NOT_EXPORTED)', () => {
    const result = run(app, 'private.cjs', `require('relay-heroku-workflows/dist/relay/session');`);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});
