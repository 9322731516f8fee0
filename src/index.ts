/**
 * The package's public seam: what workflows, tests, benchmarks and embedders import.
 */
export { createWorkflowServer, type WorkflowServer, type WorkflowServerOptions } from './create-workflow-server';
export { loadConfig, ConfigError, type Config } from './config';
export { createLogger, type Logger } from './logger';
export { Event, Language, type EventName } from './relay/event';
export type * from './relay/event-types';
export { Workflow, type InteractionOptions, type ListenOptions, type ListenResult, type TranscriptionResult, type AudioResult } from './relay/workflow';
export { createWorkflow, type WorkflowHandler } from './relay/workflow-registry';
export { RelayError, RelayErrorCode } from './relay/errors';
export { isRelayUri, type Target } from './relay/targets';
export { Uri, Button, Taps, DeviceInfoQuery, Notification } from '@relaypro/sdk';
export { RelaySimulator } from './sim/relay-simulator';
export { simulate, type SimulateOptions } from './sim/simulate';
export { SimulatorError, SimulatorErrorCode } from './sim/sim-error';
export type { RelaySimulatorOptions, Answers, ListenRequest } from './sim/relay-simulator-options';
export type { SimulatedDevice } from './sim/simulated-device';
export type { Trigger, TriggerSpec, SimTriggerType } from './sim/build-start-event';
export type * from './sim/simulation-records';
