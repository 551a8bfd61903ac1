/**
 * Fan-out: one channel, N WebSocket subscribers, events published through the HTTP API at fixed rates
 * and at saturation. Reports delivered messages/s, publish-to-receive latency and server CPU per
 * delivered message, plus the connection set-up rate seen while subscribing.
 */
import { addressesFor, freshAddresses } from '../lib/addresses.js';
import { Publisher } from '../load/publisher.js';
import { SubscriberPool } from '../load/subscribers.js';
import type { Target } from '../targets/types.js';
import { type PhaseResult, runPhase } from './phase.js';
import { type Measurement, recorder, type Scenario, type ScenarioContext } from './types.js';

export const PAYLOAD_BYTES = 100;
/** Publisher requests in flight at once (keep-alive connections). */
export const PUBLISH_CONCURRENCY = 8;
/** Saturation window: undelivered messages allowed at once, identical for every target. */
export const WINDOW_MESSAGES = 100_000;

interface FanoutPlan {
  n: number;
  rates: number[];
  rateSeconds: number;
  saturateSeconds: number;
}

export function fanoutPlans(quick: boolean): FanoutPlan[] {
  return quick
    ? [
        { n: 1000, rates: [], rateSeconds: 0, saturateSeconds: 3 },
        { n: 10000, rates: [5], rateSeconds: 4, saturateSeconds: 4 },
      ]
    : [
        { n: 1000, rates: [5, 50], rateSeconds: 8, saturateSeconds: 8 },
        { n: 10000, rates: [5, 20], rateSeconds: 10, saturateSeconds: 10 },
      ];
}

/** The measurements every delivery phase reports. */
export function phaseMeasurements(
  add: (metric: string, unit: string, better: 'higher' | 'lower', value: number | null, note?: string) => void,
  result: PhaseResult,
): void {
  const { report } = result;
  add('delivered', 'msg/s', 'higher', result.throughput);
  add('latency p50', 'ms', 'lower', report.latency.quantile(0.5));
  add('latency p99', 'ms', 'lower', report.latency.quantile(0.99));
  add('latency p99.9', 'ms', 'lower', report.latency.quantile(0.999));
  add(
    'server CPU / msg',
    'µs',
    'lower',
    report.received > 0 ? (result.serverCpuSeconds / report.received) * 1e6 : null,
  );
  const lost = result.expected - report.received;
  add('undelivered', 'msg', 'lower', lost, lost > 0 ? `${lost} of ${result.expected} not received` : undefined);
}

export const fanoutScenario: Scenario = {
  name: 'fan-out',
  appliesTo: (target) => target.name !== 'plain-ws' && target.name !== 'plain-ws+req',
  async run(target: Target, ctx: ScenarioContext): Promise<Measurement[]> {
    const out: Measurement[] = [];
    for (const plan of fanoutPlans(ctx.quick)) {
      const handle = await target.start();
      const workers = plan.n > 2000 ? 4 : 2;
      let pool: SubscriberPool | undefined;
      let publisher: Publisher | undefined;
      try {
        const channels = { prefix: 'fanout', offset: 0, count: 1 };
        pool = await SubscriberPool.start({
          transport: 'ws',
          baseUrl: handle.wsUrl,
          appKey: handle.app.key,
          count: plan.n,
          workers,
          subscribe: true,
          channels,
          addresses: addressesFor(plan.n, workers),
        });
        const setup = recorder('fan-out', target.name, `N=${plan.n} subscribe`);
        setup.add('connect+subscribe', 'conn/s', 'higher', (pool.connected.subscribed / pool.connected.elapsedMs) * 1000);
        setup.add('failed', 'conn', 'lower', pool.connected.failed, pool.connected.errors.join('; ') || undefined);
        out.push(...setup.out);
        ctx.log(`  ${target.name} N=${plan.n}: ${pool.connected.subscribed} subscribed in ${pool.connected.elapsedMs.toFixed(0)} ms`);
        publisher = await Publisher.start(handle, PUBLISH_CONCURRENCY, freshAddresses(1, 1)[0]![0]!);
        const base = { messagesPerEvent: pool.connected.subscribed, channels, perEvent: 1, payloadBytes: PAYLOAD_BYTES };
        // Warm-up: JIT and buffers, not measured.
        await runPhase(pool, publisher, handle.pid, { ...base, mode: 'saturate', seconds: 1, windowMessages: WINDOW_MESSAGES });
        for (const rate of plan.rates) {
          const result = await runPhase(pool, publisher, handle.pid, { ...base, mode: 'rate', rate, seconds: plan.rateSeconds });
          const m = recorder('fan-out', target.name, `N=${plan.n}, ${rate} ev/s`);
          phaseMeasurements(m.add, result);
          out.push(...m.out);
          ctx.log(`  ${target.name} N=${plan.n} ${rate}/s: p99 ${result.report.latency.quantile(0.99)?.toFixed(2)} ms`);
        }
        const result = await runPhase(pool, publisher, handle.pid, {
          ...base,
          mode: 'saturate',
          seconds: plan.saturateSeconds,
          windowMessages: WINDOW_MESSAGES,
        });
        const m = recorder('fan-out', target.name, `N=${plan.n}, saturation`);
        phaseMeasurements(m.add, result);
        out.push(...m.out);
        ctx.log(
          `  ${target.name} N=${plan.n} saturation: ${result.throughput.toFixed(0)} msg/s, ` +
            `server CPU ${(result.serverCpuSeconds / result.wallSeconds * 100).toFixed(0)}%, ` +
            `clients CPU ${(result.clientCpuSeconds / result.wallSeconds * 100).toFixed(0)}%`,
        );
      } finally {
        await publisher?.close();
        await pool?.close();
        await handle.stop();
      }
    }
    return out;
  },
};
