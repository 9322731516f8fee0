import type { Logger } from 'pino';
import { InProcessBus } from './in-process-bus';
import { RedisBus } from './redis-bus';
import type { SessionBus } from './session-bus';

/**
 * The bus the settings ask for: Redis pub/sub across every dyno when `redisUrl` is set (Heroku's
 * Key-Value Store add-on sets REDIS_URL), otherwise the in-process bus. Returns at once; a Redis
 * bus connects in the background and its `state` says when it is ready.
 */
export function createBus({ redisUrl }: { redisUrl?: string }, log: Logger): SessionBus {
  return redisUrl === undefined ? new InProcessBus({ log }) : new RedisBus({ url: redisUrl, log });
}
