/**
 * Connecting to Redis from `PRESSRELAY_REDIS_URL`:
 *   redis://[user:password@]host:port[/db]     one Redis (rediss:// for TLS)
 *   redis-cluster://[user:password@]host:port,host:port,...   a Redis Cluster, by any of its masters as seeds
 *
 * Commands fail fast instead of queueing while Redis is away (no offline queue, a command timeout): a node
 * that cannot reach Redis must say so at once (503, not ready) rather than hang requests.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** How long one command may take before the store counts as unavailable. */
const COMMAND_TIMEOUT_MS = 2_000;
/** Reconnect attempts back off to this interval and keep going for as long as the node runs. */
const MAX_RETRY_DELAY_MS = 1_000;

export interface RedisTarget {
  cluster: boolean;
  seeds: Array<{ host: string; port: number }>;
  /** Connection options shared by every connection (auth, TLS, db, timeouts). */
  options: RedisOptions;
}

export function parseRedisUrl(text: string): RedisTarget {
  const match = /^(redis|rediss)(-cluster)?:\/\/(.*)$/.exec(text.trim());
  if (!match) {
    throw new Error(
      `PRESSRELAY_REDIS_URL: expected redis://host:port or redis-cluster://host:port,host:port, got ${JSON.stringify(text)}`,
    );
  }
  const [, scheme, cluster, rest] = match;
  const at = rest!.lastIndexOf('@');
  const credentials = at >= 0 ? rest!.slice(0, at) : '';
  const [hosts = '', database] = (at >= 0 ? rest!.slice(at + 1) : rest!).split('/');
  const seeds = hosts.split(',').map((hostPort) => {
    const url = new URL(`redis://${hostPort}`);
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 6379) };
  });
  const options: RedisOptions = {
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: 5_000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResubscribe: false,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RETRY_DELAY_MS),
  };
  if (credentials) {
    const colon = credentials.indexOf(':');
    const user = decodeURIComponent(colon >= 0 ? credentials.slice(0, colon) : '');
    const password = decodeURIComponent(colon >= 0 ? credentials.slice(colon + 1) : credentials);
    if (user) options.username = user;
    if (password) options.password = password;
  }
  if (database && !cluster) options.db = Number(database);
  if (scheme === 'rediss') options.tls = {};
  return { cluster: cluster !== undefined, seeds, options };
}

/** The command connection (a `Cluster` for Redis Cluster). */
export function connectCommands(target: RedisTarget): Redis | Cluster {
  if (!target.cluster) {
    const seed = target.seeds[0]!;
    return new Redis({ ...target.options, host: seed.host, port: seed.port, connectionName: 'pressrelay' });
  }
  return new Cluster(target.seeds, {
    redisOptions: { ...target.options, connectionName: 'pressrelay' },
    enableOfflineQueue: false,
    scaleReads: 'master',
    clusterRetryStrategy: (attempt) => Math.min(attempt * 100, MAX_RETRY_DELAY_MS),
    slotsRefreshTimeout: 2_000,
  });
}

/** A dedicated subscriber connection to one Redis (one master, for Redis Cluster). */
export function connectSubscriber(target: RedisTarget, host: string, port: number): Redis {
  return new Redis({ ...target.options, host, port, connectionName: 'pressrelay-sub' });
}
