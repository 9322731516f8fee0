import { createWorkflowServer, type WorkflowServer, type WorkflowServerOptions } from '../create-workflow-server';
import type { WorkflowHandler, WorkflowModule } from '../relay/workflow-registry';
import { RelaySimulator, type RelaySimulatorOptions, type SimulationResult } from './relay-simulator';
import { withTimeout } from '../util';
import { SimulatorError, SimulatorErrorCode } from './wire';

/** Options of {@link simulate}: the simulator's, plus what a one-call test run needs. */
export interface SimulateOptions extends RelaySimulatorOptions {
  /**
   * The workflow's name (URL path): required when `simulate` is given a server; with a workflow,
   * the path the throwaway server serves it on (default `workflow`).
   */
  workflow?: string;
  /**
   * Options of the throwaway server `simulate(workflow)` builds (ignored with a URL or a server).
   * Its log level defaults to `error`, so a test's output shows only what went wrong.
   */
  server?: WorkflowServerOptions;
  /**
   * Runs alongside the workflow with the live simulator, to act mid-run (press the button when
   * the workflow listens, send an incident event...). The run still ends when the workflow does.
   */
  script?: (sim: RelaySimulator) => void | Promise<void>;
  /** Milliseconds the workflow gets to finish before the run fails with `sim-timeout`. Default 10 000. */
  timeoutMs?: number;
}

/** What {@link simulate} runs against: a workflow (served by a throwaway server), a server, or a URL. */
export type SimulateTarget = WorkflowHandler | WorkflowModule | WorkflowServer | string;

/**
 * Runs a workflow once against the simulated Relay server and device, and resolves with
 * everything that happened when the workflow ends (terminates, fails or closes). Rejects with a
 * {@link SimulatorError} if it cannot connect or the workflow runs past `timeoutMs`; that error's
 * message ends with the device log, to show where the workflow stalled.
 *
 * Given a workflow (a function or a whole module), it serves it on a throwaway server on a free
 * port, and closes that server before it resolves or rejects, pass or fail: a test's assertions
 * run after the server is gone, so a failing one cannot leave it open (as hono's `app.request`).
 * Given a listening server or a URL, it leaves the server alone.
 *
 * @example
 * const run = await simulate(hello, { answers: ['Ana'] })
 * expect(run.says).toEqual(['What is your name?', 'Hello Ana!'])
 * expect(run.terminated).toBe(true)
 */
export async function simulate(target: SimulateTarget, options: SimulateOptions = {}): Promise<SimulationResult> {
  if (typeof target === 'string' || isWorkflowServer(target)) return runOnce(urlOf(target, options.workflow), options);
  const name = options.workflow ?? 'workflow';
  const { config, ...serverOptions } = options.server ?? {};
  const server = createWorkflowServer({ ...serverOptions, config: { logLevel: 'error', ...config } }).workflow(
    name,
    target,
  );
  try {
    await server.listen(0, '127.0.0.1');
    return await runOnce(urlOf(server, name), options);
  } finally {
    await server.close(0);
  }
}

/** Connects the simulator, waits for the workflow (and the script) to end, and always hangs up. */
async function runOnce(url: string, options: SimulateOptions): Promise<SimulationResult> {
  const { workflow: _workflow, server: _server, script, timeoutMs = 10_000, ...simulatorOptions } = options;
  const sim = await RelaySimulator.connect(url, simulatorOptions);
  const timedOut = () =>
    new SimulatorError(
      SimulatorErrorCode.TIMEOUT,
      `the workflow did not finish within ${timeoutMs} ms; device log: ${sim.log.slice(-8).join(' | ') || '(nothing happened)'}`,
    );
  try {
    const scripted = Promise.resolve(script?.(sim));
    await withTimeout(Promise.all([sim.finished, scripted]), timeoutMs, timedOut);
    return sim.result();
  } finally {
    await sim.close();
  }
}

function isWorkflowServer(target: Exclude<SimulateTarget, string>): target is WorkflowServer {
  return typeof target === 'object' && target !== null && 'httpServer' in target && typeof target.listen === 'function';
}

/** The URL to connect to: given, or built from a listening server's address and a workflow name. */
function urlOf(target: string | WorkflowServer, workflow: string | undefined): string {
  if (typeof target === 'string')
    return workflow === undefined ? target : `${target.replace(/\/+$/, '')}/${encodeURIComponent(workflow)}`;
  const address = target.httpServer.address();
  if (address === null || typeof address === 'string') {
    throw new SimulatorError(
      SimulatorErrorCode.INVALID_STATE,
      'simulate(server) needs a listening server: await server.listen(0) first',
    );
  }
  if (workflow === undefined) {
    throw new SimulatorError(
      SimulatorErrorCode.INVALID_STATE,
      "simulate(server) needs the workflow's name: simulate(server, { workflow: 'hello' })",
    );
  }
  const host = ['0.0.0.0', '::'].includes(address.address)
    ? '127.0.0.1'
    : address.family === 'IPv6'
      ? `[${address.address}]`
      : address.address;
  return `ws://${host}:${address.port}/${encodeURIComponent(workflow)}`;
}
