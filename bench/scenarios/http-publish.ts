/**
 * HTTP publish API: signed `POST /apps/{id}/events` to a channel nobody subscribes to, as fast as the
 * publisher's keep-alive connections allow. Measures requests/s, request latency and server CPU per
 * request, i.e. the cost of the API and its signature check alone.
 */
import { freshAddresses } from '../lib/addresses.js';
import { startLoadMeter } from '../lib/load-meter.js';
import { cpuSeconds } from '../lib/procfs.js';
import { Publisher } from '../load/publisher.js';
import type { Target } from '../targets/types.js';
import { PAYLOAD_BYTES } from './fanout.js';
import { type BenchCase, MEMORY_ONLY, type Measurement, recorder, type ScenarioContext } from './types.js';

export const HTTP_CONCURRENCY = 32;

function httpCase(seconds: number): BenchCase {
  return {
    scenario: 'HTTP publish',
    name: `keep-alive ×${HTTP_CONCURRENCY}`,
    appliesTo: (target) => !MEMORY_ONLY.has(target.name),
    async run(target: Target, ctx: ScenarioContext): Promise<Measurement[]> {
      const handle = await target.start();
      let publisher: Publisher | undefined;
      try {
        publisher = await Publisher.start(handle, HTTP_CONCURRENCY, freshAddresses(1, 1)[0]![0]!);
        const command = {
          mode: 'saturate' as const,
          events: 10_000_000,
          channels: { prefix: 'nobody', offset: 0, count: 1 },
          perEvent: 1,
          payloadBytes: PAYLOAD_BYTES,
        };
        await publisher.publish({ ...command, maxMs: 1000 }); // warm-up
        const cpu0 = cpuSeconds(handle.pid);
        const meter = startLoadMeter(handle.pid);
        const result = await publisher.publish({ ...command, maxMs: seconds * 1000 });
        const cpu = cpuSeconds(handle.pid) - cpu0;
        const load = meter();
        const elapsed = (result.endedAt - result.startedAt) / 1000;
        const m = recorder('HTTP publish', target.name, `POST /events, ${HTTP_CONCURRENCY} in flight`);
        m.add('requests', 'req/s', 'higher', result.ok / elapsed);
        m.add('latency p50', 'ms', 'lower', result.http.quantile(0.5));
        m.add('latency p99', 'ms', 'lower', result.http.quantile(0.99));
        m.add('server CPU / req', 'µs', 'lower', result.ok ? (cpu / result.ok) * 1e6 : null);
        const failures = Object.entries(result.failures)
          .map(([k, v]) => `${k}×${v}`)
          .join(', ');
        m.add('failed', 'req', 'lower', result.failed, failures || undefined);
        m.add('other load', 'cores', 'info', load.foreignCores);
        ctx.log(
          `    ${(result.ok / elapsed).toFixed(0)} req/s, server ${((cpu / elapsed) * 100).toFixed(0)}% CPU${failures ? `, failures ${failures}` : ''}`,
        );
        return m.out;
      } finally {
        await publisher?.close().catch(() => undefined);
        await handle.stop().catch(() => undefined);
      }
    },
  };
}

export function httpPublishCases(quick: boolean): BenchCase[] {
  return [httpCase(quick ? 2 : 8)];
}
