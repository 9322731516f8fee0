/**
 * The package's public seam: what workflows, tests, benchmarks and embedders import.
 */
export { createWorkflowServer, type WorkflowServer, type WorkflowServerOptions } from './create-workflow-server';
export { relay, createRelayEntry, type RelayOptions, type RelayApp, type RelayApiOptions } from './relay-compat';
export { defineRoutes, type Routes, type RouteContext } from './http/define-routes';
export { loadConfig, ConfigError, type Config } from './config';
export { createLogger, type Logger } from './logger';
export { Event, Language, type EventName } from './relay/event';
export type * from './relay/event-types';
export {
  Workflow,
  type InteractionOptions,
  type ListenOptions,
  type ListenResult,
  type TranscriptionResult,
  type AudioResult,
  type VarValue,
} from './relay/workflow';
export type { LedEffect, LedIndex, LedInfo } from './relay/led';
export type { NotificationOptions } from './relay/notification';
export type { PlaceCall, RegisterRequest, UnregisterRequest, CallIdCarrier } from './relay/calls';
export type { Mapper } from './relay/var-mappers';
export { DeviceInfoQuery, DeviceInfoField, type DeviceType } from './relay/device-info';
export { Uri } from './relay/uri';
export { createWorkflow, type WorkflowHandler, type WorkflowModule, type WorkflowEntry } from './relay/workflow-registry';
export type { Registration, SuggestedTrigger } from './relay/registration';
export { RelayError, RelayErrorCode } from './relay/errors';
export { isRelayUri, type Target } from './relay/targets';
export {
  Button,
  Taps,
  Notification,
  NotificationPriority,
  NotificationSound,
  TimerType,
  TimeoutType,
  IncidentStatus,
  CallDirection,
  // The enums module alone: the package's index also loads node-fetch and whatwg-url, about 30 ms
  // of every boot (and of every dyno wake-up) for nine constant tables. A deep import works
  // because 2.4.0 (pinned exactly, see test/hardening/dependencies.test.ts) has no `exports` map.
} from '@relaypro/sdk/dist/enums';
export { RelaySimulator } from './sim/relay-simulator';
export { simulate, type SimulateOptions } from './sim/simulate';
export { SimulatorError, SimulatorErrorCode } from './sim/sim-error';
export type { RelaySimulatorOptions, Answers, ListenRequest } from './sim/relay-simulator-options';
export type { SimulatedDevice } from './sim/simulated-device';
export type { Trigger, TriggerSpec, SimTriggerType } from './sim/build-start-event';
export type * from './sim/simulation-records';
