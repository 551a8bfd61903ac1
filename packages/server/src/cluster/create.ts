/** Picks the adapter: Redis when `redisUrl` is set, otherwise the in-memory one. */
import type { Logger } from 'pino';
import type { AppConfig, ServerConfig } from '../apps/schema.js';
import type { Adapter } from './adapter.js';
import { LocalAdapter } from './local.js';

export function createAdapter(
  config: ServerConfig,
  logger: Logger,
  findApp: (appId: string) => AppConfig | undefined,
): Adapter {
  if (config.redisUrl) {
    throw new Error('PRESSRELAY_REDIS_URL: the Redis adapter is not available in this build');
  }
  return new LocalAdapter(config.historyMemoryBytes, findApp, logger);
}
