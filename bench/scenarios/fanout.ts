/**
 * Fan-out: one channel, N WebSocket subscribers, events published through the HTTP API at fixed rates
 * and at saturation. Reports delivered messages/s, publish-to-receive latency and server CPU per
 * delivered message, plus what subscribing N clients cost the server.
 */
import type { Target } from '../targets/types.js';
import { type PhaseResult, runPhase } from './phase.js';
import { withSubscribers } from './session.js';
import { type BenchCase, MEMORY_ONLY, type Measurement, recorder, type ScenarioContext } from './types.js';

export const PAYLOAD_BYTES = 100;
/** Saturation window: undelivered messages allowed at once, identical for every target. */
export const WINDOW_MESSAGES = 100_000;

type Add = (
  metric: string,
  unit: string,
  better: 'higher' | 'lower' | 'info',
  value: number | null,
  note?: string,
) => void;

/** The measurements every delivery phase reports. */
export function phaseMeasurements(add: Add, result: PhaseResult): void {
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
  add(
    'undelivered',
    'msg',
    'lower',
    lost,
    lost > 0 ? `${lost} of ${result.expected} not received` : undefined,
  );
  add('other load', 'cores', 'info', result.load.foreignCores);
}

export function describePhase(result: PhaseResult): string {
  const p99 = result.report.latency.quantile(0.99);
  return (
    `${result.throughput.toFixed(0)} msg/s, p99 ${p99?.toFixed(1)} ms, ` +
    `server ${((result.serverCpuSeconds / result.wallSeconds) * 100).toFixed(0)}% CPU, ` +
    `clients ${((result.clientCpuSeconds / result.wallSeconds) * 100).toFixed(0)}%, ` +
    `other load ${result.load.foreignCores.toFixed(2)} cores`
  );
}

function fanoutCase(n: number, rates: number[], rateSeconds: number, saturateSeconds: number): BenchCase {
  return {
    scenario: 'fan-out',
    name: `N=${n}`,
    appliesTo: (target) => !MEMORY_ONLY.has(target.name),
    async run(target: Target, ctx: ScenarioContext): Promise<Measurement[]> {
      const out: Measurement[] = [];
      const channels = { prefix: 'fanout', offset: 0, count: 1 };
      const workers = n > 2000 ? 4 : 2;
      await withSubscribers(
        target,
        ctx,
        { count: n, workers, channels },
        async ({ handle, pool, publisher, setupCpuSeconds }) => {
          const setup = recorder('fan-out', target.name, `N=${n} subscribe`);
          const c = pool.connected;
          setup.add('connect+subscribe', 'conn/s', 'higher', (c.subscribed / c.elapsedMs) * 1000);
          setup.add(
            'server CPU / conn',
            'µs',
            'lower',
            c.subscribed ? (setupCpuSeconds / c.subscribed) * 1e6 : null,
          );
          setup.add('failed', 'conn', 'lower', c.failed, c.errors.join('; ') || undefined);
          out.push(...setup.out);
          const base = { messagesPerEvent: c.subscribed, channels, perEvent: 1, payloadBytes: PAYLOAD_BYTES };
          // Warm-up (JIT, buffers): not measured.
          await runPhase(pool, publisher, handle.pid, {
            ...base,
            mode: 'saturate',
            seconds: 1,
            windowMessages: WINDOW_MESSAGES,
          });
          for (const rate of rates) {
            const result = await runPhase(pool, publisher, handle.pid, {
              ...base,
              mode: 'rate',
              rate,
              seconds: rateSeconds,
            });
            const m = recorder('fan-out', target.name, `N=${n}, ${rate} ev/s`);
            phaseMeasurements(m.add, result);
            out.push(...m.out);
            ctx.log(`    ${rate} ev/s: ${describePhase(result)}`);
          }
          const result = await runPhase(pool, publisher, handle.pid, {
            ...base,
            mode: 'saturate',
            seconds: saturateSeconds,
            windowMessages: WINDOW_MESSAGES,
          });
          const m = recorder('fan-out', target.name, `N=${n}, saturation`);
          phaseMeasurements(m.add, result);
          out.push(...m.out);
          ctx.log(`    saturation: ${describePhase(result)}`);
        },
      );
      return out;
    },
  };
}

export function fanoutCases(quick: boolean): BenchCase[] {
  return quick
    ? [fanoutCase(1000, [], 0, 2), fanoutCase(10000, [5], 3, 3)]
    : [fanoutCase(1000, [5, 50], 8, 8), fanoutCase(10000, [5, 20], 10, 10)];
}
