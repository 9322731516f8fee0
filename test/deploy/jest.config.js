// The slow checks, run by `npm run test:deploy` after `npm test` (CI runs both): the status page in
// headless Chromium, the Heroku build rehearsal and `heroku local web`. `npm test` ignores them.
const { join } = require('node:path');

/** @type {import('jest').Config} */
module.exports = {
  rootDir: join(__dirname, '..', '..'),
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.slow.test.ts'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  testTimeout: 600000,
  maxWorkers: 1,
};
