/**
 * Starts a target with N connected WebSocket subscribers and a publisher, runs `body`, and always
 * tears everything down (publisher, clients, server), even when the body throws.
 */
import { addressesFor, freshAddresses } from '../lib/addresses.js';
import { cpuSeconds } from '../lib/procfs.js';
import type { ChannelSpread, Transport } from '../load/protocol.js';
import { Publisher } from '../load/publisher.js';
import { SubscriberPool } from '../load/subscribers.js';
import type { Target, TargetHandle } from '../targets/types.js';
import type { ScenarioContext } from './types.js';

/** Publisher requests in flight at once (keep-alive connections). */
export const PUBLISH_CONCURRENCY = 8;

export interface Session {
  handle: TargetHandle;
  pool: SubscriberPool;
  publisher: Publisher;
  /** Server CPU seconds spent accepting and subscribing the clients. */
  setupCpuSeconds: number;
}

export async function withSubscribers<T>(
  target: Target,
  ctx: ScenarioContext,
  options: {
    count: number;
    workers: number;
    channels: ChannelSpread;
    concurrency?: number;
    transport?: Transport;
  },
  body: (session: Session) => Promise<T>,
): Promise<T> {
  const handle = await target.start();
  let pool: SubscriberPool | undefined;
  let publisher: Publisher | undefined;
  try {
    const cpu0 = cpuSeconds(handle.pid);
    pool = await SubscriberPool.start({
      transport: options.transport ?? 'ws',
      baseUrl: (options.transport ?? 'ws') === 'ws' ? handle.wsUrl : handle.httpUrl,
      appKey: handle.app.key,
      count: options.count,
      workers: options.workers,
      subscribe: true,
      channels: options.channels,
      addresses: addressesFor(options.count, options.workers),
    });
    const setupCpuSeconds = cpuSeconds(handle.pid) - cpu0;
    const c = pool.connected;
    ctx.log(
      `    ${c.subscribed}/${options.count} subscribed in ${c.elapsedMs.toFixed(0)} ms${c.errors.length ? ` (${c.errors.join('; ')})` : ''}`,
    );
    publisher = await Publisher.start(
      handle,
      options.concurrency ?? PUBLISH_CONCURRENCY,
      freshAddresses(1, 1)[0]![0]!,
    );
    return await body({ handle, pool, publisher, setupCpuSeconds });
  } finally {
    await publisher?.close().catch(() => undefined);
    await pool?.close().catch(() => undefined);
    await handle.stop().catch(() => undefined);
  }
}
