/** 2.4.0's waits, kept as defaults so that workflows behave as they did on the SDK. */
export const Timeouts = {
  /** Wait for any `_response`. */
  RESPONSE_MS: 5_000,
  /** Wait for an event an action announced (prompt `stopped`, `stop` after terminate). */
  EVENT_MS: 32_000,
  /** Wait for a refreshed device info response. */
  REFRESH_MS: 45_000,
  /** Wait for a notification (broadcast, alert...) response. */
  NOTIFICATION_MS: 60_000,
} as const;
