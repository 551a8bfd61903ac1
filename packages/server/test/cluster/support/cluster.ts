/**
 * A PressRelay cluster for tests: N nodes (the real CLI, `startServer`) sharing one Redis or Redis Cluster and
 * one config file, plus a webhook receiver. Every node and server started here is stopped by `stop()`.
 */

import { WebhookReceiver } from '../../compat/helpers.js';
import type { ServerHandle } from '../../harness.js';
import { startServer } from '../../harness.js';
import { type RedisClusterServers, type RedisServer, startRedis, startRedisCluster } from './redis.js';

export const APP = { id: 'cl', key: 'cl-key', secret: 'cl-secret' };
export const QUOTA_APP = { id: 'cl-quota', key: 'cl-quota-key', secret: 'cl-quota-secret' };
export const RATE_APP = { id: 'cl-rate', key: 'cl-rate-key', secret: 'cl-rate-secret' };
export const RATE_PER_SECOND = 5;

export interface TestCluster {
  redis: RedisServer | RedisClusterServers;
  redisUrl: string;
  nodes: ServerHandle[];
  webhooks: WebhookReceiver;
  /** Starts one more node on the same Redis and config. */
  addNode(): Promise<ServerHandle>;
  stop(): Promise<void>;
}

export async function startCluster(
  options: { nodes?: number; redis?: 'single' | 'cluster'; history?: number } = {},
): Promise<TestCluster> {
  const redis = options.redis === 'cluster' ? await startRedisCluster() : await startRedis();
  const webhooks = await WebhookReceiver.start();
  const config = {
    apps: [
      {
        ...APP,
        enableClientMessages: true,
        history: { maxEvents: options.history ?? 500, maxAgeSeconds: 600 },
        webhooks: [{ url: webhooks.url }],
      },
      { ...QUOTA_APP, maxConnections: 2 },
      { ...RATE_APP, limits: { httpRequestsPerSecond: RATE_PER_SECOND } },
    ],
  };
  const env = {
    PRESSRELAY_REDIS_URL: redis.url,
    // Leaves are webhooked at once, so "exactly once" can be checked without waiting out the delay.
    PRESSRELAY_WEBHOOK_LEAVE_DELAY_MS: '0',
    PRESSRELAY_LOG_LEVEL: process.env.PRESSRELAY_LOG_LEVEL ?? 'info',
  };
  const nodes: ServerHandle[] = [];
  const addNode = async () => {
    const node = await startServer({ config, env, startTimeoutMs: 20_000 });
    nodes.push(node);
    return node;
  };
  try {
    for (let index = 0; index < (options.nodes ?? 3); index++) await addNode();
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    await redis.stop();
    await webhooks.stop();
    throw error;
  }
  return {
    redis,
    redisUrl: redis.url,
    nodes,
    webhooks,
    addNode,
    async stop() {
      await Promise.all(nodes.map((node) => node.stop()));
      await redis.stop();
      await webhooks.stop();
    },
  };
}

/** GET /ready of a node: its status code. */
export async function readiness(node: ServerHandle): Promise<number> {
  try {
    return (await fetch(`${node.url}/ready`)).status;
  } catch {
    return 0;
  }
}
