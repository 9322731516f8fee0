import type { Session } from './session';
import { makeTargetUris, type Target } from './targets';
import { Timeouts } from './timeouts';

/** Push options of a broadcast, notify or alert (`push_opts` on the wire). */
export interface NotificationOptions {
  priority: 'normal' | 'high' | 'critical';
  title: string;
  body: string;
  sound: 'default' | 'sos';
}

export type NotificationType = 'broadcast' | 'notify' | 'alert' | 'cancel';

export interface NotificationFields {
  originator?: string;
  name: string;
  text?: string;
  pushOptions?: NotificationOptions;
}

/**
 * Sends `wf_api_notification_request`. The server answers once every target device has it, so
 * the wait is 60 s (2.4.0's NOTIFICATION_TIMEOUT). Undefined fields are left out of the frame.
 */
export async function sendNotification(
  session: Session,
  target: Target,
  type: NotificationType,
  fields: NotificationFields,
): Promise<void> {
  const { originator, name, text, pushOptions } = fields;
  await session.request(
    'notification',
    { originator, type, name, text, push_opts: pushOptions },
    { target: makeTargetUris(target), timeoutMs: Timeouts.NOTIFICATION_MS },
  );
}
