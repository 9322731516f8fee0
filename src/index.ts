/**
 * The runtime's public seam: what workflows, servers and embedders import. The simulator lives
 * behind its own entry, `./testing` (the package's `/testing` subpath), so that a running server,
 * whose workflows import this file, never loads it.
 */
export { createWorkflowServer, type WorkflowServer, type WorkflowServerOptions } from './create-workflow-server';
export { relay, createRelayEntry, type RelayOptions, type RelayApp, type RelayApiFactoryOptions } from './relay-compat';
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
  type SubscribeOptions,
  type WorkflowSettings,
} from './relay/workflow';
export type { SessionBus, BusHandler, BusState, Unsubscribe } from './bus/session-bus';
export { BusError, BusErrorCode, isBusUnavailable } from './bus/bus-error';
export { MAX_MESSAGE_BYTES } from './bus/bus-message';
export { InProcessBus, type InProcessBusOptions } from './bus/in-process-bus';
export { RedisBus, type RedisBusOptions } from './bus/redis-bus';
export { createBus } from './bus/create-bus';
export {
  IdempotencyKeyError,
  DEFAULT_IDEMPOTENCY_TTL_MS,
  type IdempotencyStore,
  type IdempotencyClaim,
} from './bus/idempotency-store';
export { InMemoryIdempotencyStore, type InMemoryIdempotencyStoreOptions } from './bus/in-memory-idempotency-store';
export { RedisIdempotencyStore } from './bus/redis-idempotency-store';
export { createIdempotencyStore } from './bus/create-idempotency-store';
export type { LedEffect, LedIndex, LedInfo } from './relay/led';
export type { NotificationOptions } from './relay/notification';
export type { PlaceCall, RegisterRequest, UnregisterRequest, CallIdCarrier } from './relay/calls';
export type { Mapper } from './relay/var-mappers';
export { DeviceInfoQuery, DeviceInfoField, type DeviceType } from './relay/device-info';
export { Uri } from './relay/uri';
export {
  createWorkflow,
  type WorkflowHandler,
  type WorkflowModule,
  type WorkflowEntry,
} from './relay/workflow-registry';
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
  // The enums module alone: the package's index also loads node-fetch and whatwg-url, a boot cost
  // (docs/performance.md) for nine constant tables. A deep import works because 2.4.0 (pinned
  // exactly, see test/hardening/dependencies.test.ts) has no `exports` map.
} from '@relaypro/sdk/dist/enums';
export { RelayApi, type RelayApiOptions, type RelayAnswer } from './api/relay-api';
export { RelayApiError, RelayApiErrorCode, type RelayApiCall } from './api/relay-api-error';
export { relayApiFromConfig } from './api/relay-api-from-config';
export { RELAY_ENVIRONMENTS, type RelayEnv } from './api/relay-environments';
export { requireWebhookSecret, answerOnce, type WebhookAnswer } from './http/webhook';
export { answerUnconfigured } from './http/answer-unconfigured';
export { relayFailureAnswer, type RelayFailure } from './http/relay-failure-answer';
