/**
 * Redis adapters in this process, for the adapter-level cluster tests: each one is a "node" with recording
 * handlers. `crash-node.ts` runs one in a child process, to be killed.
 */
import pino from 'pino';
import { appSchema } from '../../../src/apps/schema.js';
import {
  CONTRACT_APP_ID,
  CONTRACT_LIMITS,
  RecordingHandlers,
} from '../../../src/cluster/adapter-contract.js';
import type { MembershipTiming } from '../../../src/cluster/redis/membership.js';
import { RedisAdapter } from '../../../src/cluster/redis.js';

export const contractApp = appSchema.parse({
  id: CONTRACT_APP_ID,
  key: 'contract-key',
  secret: 'contract-secret',
  history: { maxEvents: CONTRACT_LIMITS.maxEvents, maxAgeSeconds: CONTRACT_LIMITS.maxAgeMs / 1000 },
});

/** Fast heartbeats so crash cleanup shows within a second or two. */
export const FAST_TIMING: MembershipTiming = { heartbeatMs: 100, nodeTtlMs: 600 };

export async function startAdapterNode(url: string, timing?: MembershipTiming) {
  const adapter = new RedisAdapter({
    url,
    appIds: [contractApp.id],
    findApp: (id) => (id === contractApp.id ? contractApp : undefined),
    logger: pino({ level: process.env.PRESSRELAY_LOG_LEVEL ?? 'silent' }),
    ...(timing ? { timing } : {}),
  });
  const handlers = new RecordingHandlers();
  await adapter.start(handlers);
  return { adapter, handlers };
}
