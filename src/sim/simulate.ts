import type { WorkflowServer } from '../create-workflow-server';
import { RelaySimulator } from './relay-simulator';
import type { RelaySimulatorOptions } from './relay-simulator-options';
import { SimulatorError, SimulatorErrorCode } from './sim-error';
import type { SimulationResult } from './simulation-records';

/** Options of {@link simulate}: the simulator's, plus what a one-call test run needs. */
export interface SimulateOptions extends RelaySimulatorOptions {
  /** The workflow's name (URL path); required when `simulate` is given a server instead of a URL. */
  workflow?: string;
  /**
   * Runs alongside the workflow with the live simulator, to act mid-run (press the button when
   * the workflow listens, send an incident event...). The run still ends when the workflow does.
   */
  script?: (sim: RelaySimulator) => void | Promise<void>;
  /** Milliseconds the workflow gets to finish before the run fails with `sim-timeout`. Default 10 000. */
  timeoutMs?: number;
}

/**
 * Runs a workflow once against the simulated Relay server and device, and resolves with
 * everything that happened when the workflow ends (terminates, fails or closes). Rejects with a
 * {@link SimulatorError} if it cannot connect or the workflow runs past `timeoutMs`; that error's
 * message ends with the device log, to show where the workflow stalled.
 *
 * @example
 * const server = createWorkflowServer({ workflows: { hello } })
 * await server.listen(0, '127.0.0.1')
 * const run = await simulate(server, { workflow: 'hello', answers: ['Ana'] })
 * expect(run.says).toEqual(['What is your name?', 'Hello Ana!'])
 * expect(run.terminated).toBe(true)
 */
export async function simulate(target: string | WorkflowServer, options: SimulateOptions = {}): Promise<SimulationResult> {
  const { workflow, script, timeoutMs = 10_000, ...simulatorOptions } = options;
  const sim = await RelaySimulator.connect(urlOf(target, workflow), simulatorOptions);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const tail = sim.log.slice(-8).join(' | ') || '(nothing happened)';
      reject(new SimulatorError(SimulatorErrorCode.TIMEOUT, `the workflow did not finish within ${timeoutMs} ms; device log: ${tail}`));
    }, timeoutMs);
  });
  try {
    const scripted = Promise.resolve(script?.(sim));
    await Promise.race([Promise.all([sim.finished, scripted]), timedOut]);
    return sim.result();
  } finally {
    clearTimeout(timer);
    await sim.close();
  }
}

/** The URL to connect to: given, or built from a listening server's address and a workflow name. */
function urlOf(target: string | WorkflowServer, workflow: string | undefined): string {
  if (typeof target === 'string') return workflow === undefined ? target : `${target.replace(/\/+$/, '')}/${encodeURIComponent(workflow)}`;
  const address = target.httpServer.address();
  if (address === null || typeof address === 'string') {
    throw new SimulatorError(SimulatorErrorCode.INVALID_STATE, 'simulate(server) needs a listening server: await server.listen(0) first');
  }
  if (workflow === undefined) {
    throw new SimulatorError(SimulatorErrorCode.INVALID_STATE, "simulate(server) needs the workflow's name: simulate(server, { workflow: 'hello' })");
  }
  const host = ['0.0.0.0', '::'].includes(address.address) ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `ws://${host}:${address.port}/${encodeURIComponent(workflow)}`;
}
