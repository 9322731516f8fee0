import type { RelayApi } from '../api/relay-api';
import type { SessionBus } from '../bus/session-bus';

/**
 * Settings a workflow may read, handed over by the runtime (workflows never read the environment):
 * only values that are no secret of the server's own.
 */
export interface WorkflowSettings {
  /** DISPATCH_WEBHOOK_URL: where the transport sample POSTs its requests. */
  readonly dispatchWebhookUrl?: string;
}

/** What the runtime hands each session's {@link Workflow} besides the session itself. */
export interface WorkflowContext {
  /** The server's session bus, behind `workflow.subscribe`. */
  readonly bus?: SessionBus;
  /** The server's Relay HTTP API client; undefined without RELAY_API_KEY and RELAY_SUBSCRIBER_ID. */
  readonly api?: RelayApi;
  readonly settings?: WorkflowSettings;
}
