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
