'use strict';
/**
 * Serves the conformance script with the real @relaypro/sdk 2.4.0 `relay()` server, in its own
 * process because 2.4.0 is a module-global singleton that never closes. It reads PORT (and
 * HEARTBEAT) from the environment when it loads. It prints every frame to the console, so this
 * process replaces the console with a sink that only reports the "listening" line to the parent
 * over IPC. The parent kills this process when done.
 */
const LISTENING = 'Relay SDK WebSocket Server listening';
const sink = (...args) => {
  if (typeof args[0] === 'string' && args[0].startsWith(LISTENING) && process.send) process.send({ ready: true });
};
// eslint-disable-next-line no-console -- silencing 2.4.0's console is the point
for (const level of ['log', 'info', 'warn', 'error', 'debug']) console[level] = sink;

const { relay } = require('@relaypro/sdk');
const { conformanceWorkflow } = require('./script');

relay().workflow('conformance', conformanceWorkflow);
