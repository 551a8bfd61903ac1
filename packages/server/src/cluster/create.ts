/** Picks the adapter: Redis when `redisUrl` is set, otherwise the in-memory one. */
import type { Logger } from 'pino';
import type { AppConfig, ServerConfig } from '../apps/schema.js';
import type { Adapter } from './adapter.js';
import { LocalAdapter } from './local.js';
import { RedisAdapter } from './redis.js';

export function createAdapter(
  config: ServerConfig,
  logger: Logger,
  findApp: (appId: string) => AppConfig | undefined,
): Adapter {
  if (config.redisUrl) {
    return new RedisAdapter({
      url: config.redisUrl,
      appIds: config.apps.map((app) => app.id),
      findApp,
      logger,
    });
  }
  return new LocalAdapter(config.historyMemoryBytes, findApp, logger);
}
