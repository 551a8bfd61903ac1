/**
 * Idle connections: set-up rate, then server RSS (from /proc) and V8 heap per idle WebSocket connection
 * at 10,000 connections and at the server's open-file limit (found, not assumed: the soft
 * "Max open files" of the server process minus the descriptors it already holds). Connections come
 * from several client processes and source addresses; none may be refused or dropped while held.
 */
import { addressesFor } from '../lib/addresses.js';
import { sleep } from '../lib/clock.js';
import { cpuSeconds, openFds, openFileLimit, rssBytes } from '../lib/procfs.js';
import { SubscriberPool } from '../load/subscribers.js';
import type { Target, TargetHandle } from '../targets/types.js';
import { type BenchCase, type Measurement, recorder, type ScenarioContext } from './types.js';

/** Descriptors left free below the limit for the server's own use (logs, timers, accept reserve). */
const FD_RESERVE = 16;
/** Time for allocations to settle before reading memory. */
const SETTLE_MS = 1500;
const HOLD_MS = 3000;

interface MemoryPoint {
  rss: number;
  heap: number | null;
}

async function memory(handle: TargetHandle): Promise<MemoryPoint> {
  await sleep(SETTLE_MS);
  return { rss: rssBytes(handle.pid), heap: await handle.heapUsedBytes().catch(() => null) };
}

async function openIdle(handle: TargetHandle, count: number): Promise<SubscriberPool> {
  const workers = 4;
  return SubscriberPool.start({
    transport: 'ws',
    baseUrl: handle.wsUrl,
    appKey: handle.app.key,
    count,
    workers,
    subscribe: false,
    channels: { prefix: 'idle', offset: 0, count: 1 },
    addresses: addressesFor(count, workers),
    concurrency: 32,
  });
}

function connectionsCase(first: number, toLimit: boolean, appliesTo: (t: Target) => boolean): BenchCase {
  return {
    scenario: 'connections',
    name: toLimit ? `${first} and open-file limit` : `${first}`,
    appliesTo,
    async run(target: Target, ctx: ScenarioContext): Promise<Measurement[]> {
      const handle = await target.start();
      const pools: SubscriberPool[] = [];
      const out: Measurement[] = [];
      try {
        const m0 = await memory(handle);
        const cpu0 = cpuSeconds(handle.pid);
        const pool = await openIdle(handle, first);
        pools.push(pool);
        const cpu1 = cpuSeconds(handle.pid);
        const c = pool.connected;
        const set = recorder('connections', target.name, `${first} idle`);
        set.add('set-up', 'conn/s', 'higher', (c.opened / c.elapsedMs) * 1000);
        set.add('server CPU / conn', 'µs', 'lower', c.opened ? ((cpu1 - cpu0) / c.opened) * 1e6 : null);
        set.add('refused', 'conn', 'lower', c.failed, c.errors.join('; ') || undefined);
        const m1 = await memory(handle);
        set.add('RSS / conn', 'KB', 'lower', (m1.rss - m0.rss) / c.opened / 1024);
        set.add(
          'heap / conn',
          'KB',
          'lower',
          m1.heap !== null && m0.heap !== null ? (m1.heap - m0.heap) / c.opened / 1024 : null,
        );
        set.add('RSS at start', 'MB', 'lower', m0.rss / 2 ** 20);
        out.push(...set.out);
        ctx.log(
          `    ${c.opened} idle: ${((m1.rss - m0.rss) / c.opened / 1024).toFixed(2)} KB RSS/conn, ${c.failed} refused`,
        );
        if (toLimit) {
          const limit = openFileLimit(handle.pid);
          const inUse = openFds(handle.pid);
          const more = limit === null ? 0 : Math.max(0, limit - inUse - FD_RESERVE);
          const extra = await openIdle(handle, more);
          pools.push(extra);
          const m2 = await memory(handle);
          await sleep(HOLD_MS);
          let dropped = 0;
          for (const p of pools) dropped += (await p.report()).dropped;
          const held = c.opened + extra.connected.opened;
          const lim = recorder('connections', target.name, 'open-file limit');
          lim.add('open-file limit found', 'fds', 'higher', limit);
          lim.add('connections held', 'conn', 'higher', held);
          lim.add(
            'refused',
            'conn',
            'lower',
            c.failed + extra.connected.failed,
            extra.connected.errors.join('; ') || undefined,
          );
          lim.add('dropped while held', 'conn', 'lower', dropped);
          lim.add(
            'RSS / conn (slope)',
            'KB',
            'lower',
            (m2.rss - m1.rss) / Math.max(1, extra.connected.opened) / 1024,
          );
          lim.add('RSS at limit', 'MB', 'lower', m2.rss / 2 ** 20);
          lim.add(
            'heap / conn (slope)',
            'KB',
            'lower',
            m2.heap !== null && m1.heap !== null
              ? (m2.heap - m1.heap) / Math.max(1, extra.connected.opened) / 1024
              : null,
          );
          out.push(...lim.out);
          ctx.log(
            `    limit ${limit}: held ${held}, refused ${c.failed + extra.connected.failed}, dropped ${dropped}, RSS ${(m2.rss / 2 ** 20).toFixed(0)} MB`,
          );
        }
        return out;
      } finally {
        for (const p of pools) await p.close().catch(() => undefined);
        await handle.stop().catch(() => undefined);
      }
    },
  };
}

export function connectionsCases(quick: boolean): BenchCase[] {
  // Quick: the comparison that has a target (PressRelay vs plain ws) at 10,000 only.
  return quick
    ? [connectionsCase(10000, false, (t) => t.name === 'plain-ws' || t.name === 'pressrelay')]
    : [connectionsCase(10000, true, () => true)];
}
