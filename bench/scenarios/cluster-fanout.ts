/**
 * Cluster fan-out: one channel, N WebSocket subscribers, HTTP publishes at saturation, measured against one
 * PressRelay node (in memory) and against three nodes sharing one Redis, back to back in the same run. The
 * subscribers are spread evenly over the three nodes and every event is published through the first one, so each
 * event crosses Redis once and reaches every node.
 *
 * Reported: delivered messages/s for each, the cluster's as a ratio to the single node's, and server CPU per
 * delivered message (the cluster's summed over its three nodes and Redis). All servers are pinned to the same
 * server CPUs, so the ratio is what clustering costs on equal hardware; spread over machines, each node brings its
 * own CPU and the cluster's total grows with the nodes.
 */

import {
  type RedisServer,
  requireRedis,
  startRedis,
} from '../../packages/server/test/cluster/support/redis.js';
import type { ServerHandle } from '../../packages/server/test/harness.js';
import { startServer } from '../../packages/server/test/harness.js';
import { addressesFor, freshAddresses } from '../lib/addresses.js';
import { pin, track } from '../lib/processes.js';
import { cpuSeconds } from '../lib/procfs.js';
import type { ChannelSpread } from '../load/protocol.js';
import { Publisher } from '../load/publisher.js';
import { SubscriberPool, sum } from '../load/subscribers.js';
import type { Target, TargetHandle } from '../targets/types.js';
import { describePhase, PAYLOAD_BYTES, WINDOW_MESSAGES } from './fanout.js';
import { type PhaseResult, runPhase } from './phase.js';
import { PUBLISH_CONCURRENCY } from './session.js';
import { type BenchCase, type Measurement, recorder, type ScenarioContext } from './types.js';

const NODES = 3;

interface Measured {
  result: PhaseResult;
  /** CPU seconds of every server process (nodes, and Redis) during the measured phase. */
  serverCpuSeconds: number;
}

/** Subscribes N clients over `urls`, warms up, then measures one saturation phase. */
async function measure(
  urls: string[],
  publishTo: TargetHandle,
  serverPids: number[],
  n: number,
  seconds: number,
): Promise<Measured> {
  const channels: ChannelSpread = { prefix: 'cluster-fanout', offset: 0, count: 1 };
  const pool = await SubscriberPool.start({
    transport: 'ws',
    baseUrl: urls,
    appKey: publishTo.app.key,
    count: n,
    workers: NODES,
    subscribe: true,
    channels,
    addresses: addressesFor(n, NODES),
  });
  const publisher = await Publisher.start(publishTo, PUBLISH_CONCURRENCY, freshAddresses(1, 1)[0]![0]!);
  try {
    if (pool.connected.subscribed < n) {
      throw new Error(`${pool.connected.subscribed}/${n} subscribed: ${pool.connected.errors.join('; ')}`);
    }
    const base = {
      messagesPerEvent: n,
      channels,
      perEvent: 1,
      payloadBytes: PAYLOAD_BYTES,
      mode: 'saturate' as const,
    };
    await runPhase(pool, publisher, serverPids[0]!, { ...base, seconds: 1, windowMessages: WINDOW_MESSAGES });
    const before = sum(serverPids.map(cpuSeconds));
    const result = await runPhase(pool, publisher, serverPids[0]!, {
      ...base,
      seconds,
      windowMessages: WINDOW_MESSAGES,
    });
    return { result, serverCpuSeconds: sum(serverPids.map(cpuSeconds)) - before };
  } finally {
    await publisher.close().catch(() => undefined);
    await pool.close().catch(() => undefined);
  }
}

function handleOf(node: ServerHandle): TargetHandle {
  return {
    name: 'pressrelay-cluster',
    pid: node.process.pid!,
    httpUrl: node.url,
    wsUrl: node.wsUrl,
    app: node.app,
    heapUsedBytes: async () => null,
    stop: async () => {
      await node.stop();
    },
  };
}

async function startCluster(ctx: ScenarioContext): Promise<{ redis: RedisServer; nodes: ServerHandle[] }> {
  requireRedis();
  const redis = await startRedis();
  track(redis.process());
  const nodes: ServerHandle[] = [];
  try {
    for (let index = 0; index < NODES; index++) {
      const node = await startServer({ env: { PRESSRELAY_REDIS_URL: redis.url }, startTimeoutMs: 20_000 });
      track(node.process);
      nodes.push(node);
    }
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    await redis.stop();
    throw error;
  }
  if (ctx.serverCpus)
    for (const pid of [redis.process().pid!, ...nodes.map((n) => n.process.pid!)]) pin(pid, ctx.serverCpus);
  return { redis, nodes };
}

function clusterCase(n: number, seconds: number): BenchCase {
  return {
    scenario: 'cluster-fan-out',
    name: `N=${n}`,
    appliesTo: (target) => target.name === 'pressrelay',
    async run(target: Target, ctx: ScenarioContext): Promise<Measurement[]> {
      const single = await target.start();
      let one: Measured;
      try {
        one = await measure([single.wsUrl, single.wsUrl, single.wsUrl], single, [single.pid], n, seconds);
      } finally {
        await single.stop();
      }
      ctx.log(`    1 node: ${describePhase(one.result)}`);
      const { redis, nodes } = await startCluster(ctx);
      let many: Measured;
      try {
        const pids = [...nodes.map((node) => node.process.pid!), redis.process().pid!];
        many = await measure(
          nodes.map((node) => node.wsUrl),
          handleOf(nodes[0]!),
          pids,
          n,
          seconds,
        );
      } finally {
        await Promise.all(nodes.map((node) => node.stop()));
        await redis.stop();
      }
      ctx.log(`    ${NODES} nodes + Redis: ${describePhase(many.result)}`);

      const m = recorder('cluster-fan-out', target.name, `N=${n}, saturation`);
      const perMessage = (measured: Measured) =>
        measured.result.report.received > 0
          ? (measured.serverCpuSeconds / measured.result.report.received) * 1e6
          : null;
      m.add('delivered, 1 node', 'msg/s', 'higher', one.result.throughput);
      m.add(`delivered, ${NODES} nodes + Redis`, 'msg/s', 'higher', many.result.throughput);
      m.add(
        'cluster / 1 node',
        '×',
        'higher',
        one.result.throughput > 0 ? many.result.throughput / one.result.throughput : null,
      );
      m.add('latency p99, 1 node', 'ms', 'lower', one.result.report.latency.quantile(0.99));
      m.add(`latency p99, ${NODES} nodes + Redis`, 'ms', 'lower', many.result.report.latency.quantile(0.99));
      m.add('server CPU / msg, 1 node', 'µs', 'lower', perMessage(one));
      m.add(`server CPU / msg, ${NODES} nodes + Redis`, 'µs', 'lower', perMessage(many));
      for (const [label, measured] of [
        ['1 node', one],
        ['cluster', many],
      ] as const) {
        const lost = measured.result.expected - measured.result.report.received;
        m.add(
          `undelivered, ${label}`,
          'msg',
          'lower',
          lost,
          lost > 0 ? `${lost} of ${measured.result.expected}` : undefined,
        );
      }
      return m.out;
    },
  };
}

export function clusterFanoutCases(quick: boolean): BenchCase[] {
  return quick ? [clusterCase(1000, 2)] : [clusterCase(5000, 8)];
}
