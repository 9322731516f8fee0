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
  readonly settings?: WorkflowSettings;
}
