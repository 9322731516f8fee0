/**
 * The testing seam (`relay-heroku-workflows/testing`): the simulated Relay server and device that
 * tests, `npm run sim` and benchmarks drive workflows with. Kept apart from the runtime's seam
 * (`./index`) so a running server never loads it: workflows import `../index`, never this file.
 *
 * @example
 * import { simulate } from '../../src/testing'
 * const run = await simulate(hello, { answers: ['Ana'] })
 */
export { RelaySimulator } from './sim/relay-simulator';
export { simulate, type SimulateOptions, type SimulateTarget } from './sim/simulate';
export { SimulatorError, SimulatorErrorCode } from './sim/sim-error';
export type { RelaySimulatorOptions, Answers, ListenRequest } from './sim/relay-simulator-options';
export type { SimulatedDevice } from './sim/simulated-device';
export type { Trigger, TriggerSpec, SimTriggerType } from './sim/build-start-event';
export type * from './sim/simulation-records';
export { RelayCloud } from './sim/relay-cloud';
export type {
  RelayCloudOptions,
  CloudRegistration,
  CloudSession,
  CloudEndpoint,
  CloudRequest,
  CloudSimulatorOptions,
} from './sim/relay-cloud-options';
export type { FailureSpec, DelaySpec } from './sim/cloud-faults';
