/**
 * The testing seam (`relay-heroku-workflows/testing`): the simulated Relay server and device that
 * tests, `npm run sim` and benchmarks drive workflows with. Kept apart from the runtime's seam
 * (`./index`) so a running server never loads it: workflows import `../index`, never this file.
 *
 * @example
 * import { simulate } from '../../src/testing'
 * const run = await simulate(hello, { answers: ['Ana'] })
 */
export {
  RelaySimulator,
  type RelaySimulatorOptions,
  type Answers,
  type ListenRequest,
  type SimulationEnd,
  type SimulationResult,
} from './sim/relay-simulator';
export { simulate, type SimulateOptions, type SimulateTarget } from './sim/simulate';
export {
  SimulatorError,
  SimulatorErrorCode,
  type Trigger,
  type TriggerSpec,
  type SimTriggerType,
  type TranscriptEntry,
} from './sim/wire';
export type {
  SimulatedDevice,
  LedChange,
  Vibration,
  SentNotification,
  SimInteraction,
  ButtonPress,
} from './sim/device';
export type { SimTimer } from './sim/timers';
export {
  RelayCloud,
  type RelayCloudOptions,
  type CloudRegistration,
  type CloudSession,
  type CloudEndpoint,
  type CloudRequest,
  type CloudSimulatorOptions,
} from './sim/relay-cloud';
export type { FailureSpec, DelaySpec } from './sim/cloud-http';
