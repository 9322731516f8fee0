/**
 * The runtime's public seam: what workflows, servers and embedders import. The simulator lives
 * behind its own entry, `./testing` (the package's `/testing` subpath), so that a running server,
 * whose workflows import this file, never loads it.
 */
export { createWorkflowServer, type WorkflowServer, type WorkflowServerOptions } from './create-workflow-server';
export {
  relay,
  createRelayEntry,
  RelayCompatApi,
  type RelayOptions,
  type RelayApp,
  type RelayApiFactoryOptions,
} from './relay-compat';
export { toSdkDevice, type SdkDevice, type SdkDeviceLocation } from './api/sdk-device';
export { defineRoutes, type Routes, type RouteContext } from './http/define-routes';
export { loadConfig, ConfigError, type Config } from './config';
export { createLogger, type Logger } from './logger';
export {
  Event,
  Language,
  type EventName,
  type TriggerArgs,
  type TriggerType,
  type StartEvent,
  type StopEvent,
  type InteractionLifecycleType,
  type InteractionLifecycleEvent,
  type PromptEvent,
  type SpeechEvent,
  type ButtonEvent,
  type NotificationState,
  type NotificationEvent,
  type TimerFiredEvent,
  type IncidentEvent,
  type CallEvent,
  type ProgressEvent,
  type TimerEvent,
  type CallStartRequestEvent,
  type SmsEvent,
  type ErrorEvent,
  type EventPayloads,
  type EventHandler,
} from './relay/event';
export {
  Workflow,
  type InteractionOptions,
  type ListenOptions,
  type ListenResult,
  type TranscriptionResult,
  type AudioResult,
  type VarValue,
  type SubscribeOptions,
  type WorkflowSettings,
} from './relay/workflow';
export {
  createBus,
  BusError,
  BusErrorCode,
  isBusUnavailable,
  MAX_MESSAGE_BYTES,
  type SessionBus,
  type BusHandler,
  type BusState,
  type Unsubscribe,
} from './bus/session-bus';
export { InProcessBus, type InProcessBusOptions } from './bus/in-process-bus';
export { RedisBus, type RedisBusOptions } from './bus/redis-bus';
export {
  createIdempotencyStore,
  IdempotencyKeyError,
  DEFAULT_IDEMPOTENCY_TTL_MS,
  DEFAULT_IDEMPOTENCY_LEASE_MS,
  InMemoryIdempotencyStore,
  RedisIdempotencyStore,
  type IdempotencyStore,
  type IdempotencyClaim,
  type IdempotencyClaimOptions,
  type IdempotencyStoreOptions,
  type InMemoryIdempotencyStoreOptions,
  type RedisIdempotencyStoreOptions,
} from './bus/idempotency';
export {
  DeviceInfoQuery,
  DeviceInfoField,
  type DeviceType,
  type LedEffect,
  type LedIndex,
  type LedInfo,
  type NotificationOptions,
  type PlaceCall,
  type RegisterRequest,
  type UnregisterRequest,
  type CallIdCarrier,
  type Mapper,
} from './relay/actions';
export { Uri, isRelayUri, type Target } from './relay/uri';
export {
  createWorkflow,
  type WorkflowHandler,
  type WorkflowModule,
  type WorkflowEntry,
  type Registration,
  type SuggestedTrigger,
  type Install,
} from './relay/workflow-registry';
export { RelayError, RelayErrorCode } from './relay/errors';
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
  // The enums module alone: the package's index also loads node-fetch and whatwg-url, a boot cost
  // (docs/performance.md) for nine constant tables. A deep import works because 2.4.0 (pinned
  // exactly, see test/hardening/dependencies.process.test.ts) has no `exports` map.
} from '@relaypro/sdk/dist/enums';
export {
  RelayApi,
  relayApiFromConfig,
  RELAY_ENVIRONMENTS,
  type RelayApiOptions,
  type RelayCallOptions,
  type RelayAnswer,
  type RelayEnv,
  type WorkflowRow,
  type WorkflowRowInput,
} from './api/relay-api';
export { RelayApiError, RelayApiErrorCode, type RelayApiCall } from './api/errors';
export {
  requireWebhookSecret,
  answerOnce,
  requestFingerprint,
  answerUnconfigured,
  relayFailureAnswer,
  type WebhookAnswer,
  type AnsweredOnce,
  type RelayFailure,
} from './http/webhook';
