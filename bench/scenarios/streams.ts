/**
 * SSE and long-poll fan-out at N=1000 (docs/protocol.md §4, §5): the same publisher and phases as the
 * WebSocket fan-out, with HTTP subscribers. The baselines speak WebSocket only, so these rows compare
 * PressRelay's HTTP transports with its own WebSocket figures; a target answering 404 is reported as
 * "not supported by target", never as a number.
 */
import type { Transport } from '../load/protocol.js';
import type { Target } from '../targets/types.js';
import { describePhase, PAYLOAD_BYTES, phaseMeasurements, WINDOW_MESSAGES } from './fanout.js';
import { runPhase } from './phase.js';
import { withSubscribers } from './session.js';
import { type BenchCase, type Measurement, recorder, type ScenarioContext } from './types.js';

const LABEL: Record<Exclude<Transport, 'ws'>, string> = { sse: 'SSE', poll: 'long-poll' };

function streamCase(transport: 'sse' | 'poll', n: number, rate: number | null, seconds: number): BenchCase {
  const scenario = `${LABEL[transport]} fan-out`;
  return {
    scenario,
    name: `N=${n}`,
    appliesTo: (target) => target.name === 'pressrelay',
    async run(target: Target, ctx: ScenarioContext): Promise<Measurement[]> {
      const channels = { prefix: `${transport}-fanout`, offset: 0, count: 1 };
      const out: Measurement[] = [];
      await withSubscribers(
        target,
        ctx,
        { count: n, workers: 2, channels, transport },
        async ({ handle, pool, publisher }) => {
          const c = pool.connected;
          if (c.subscribed === 0) {
            const note =
              c.status === 404
                ? `not yet supported by target (HTTP 404 for ${LABEL[transport]})`
                : `no subscriber connected: ${c.errors.join('; ')}`;
            const m = recorder(scenario, target.name, `N=${n}, saturation`);
            m.add('delivered', 'msg/s', 'higher', null, note);
            out.push(...m.out);
            ctx.log(`    ${note}`);
            return;
          }
          const setup = recorder(scenario, target.name, `N=${n} subscribe`);
          setup.add('connect+subscribe', 'conn/s', 'higher', (c.subscribed / c.elapsedMs) * 1000);
          setup.add('failed', 'conn', 'lower', c.failed, c.errors.join('; ') || undefined);
          out.push(...setup.out);
          const base = { messagesPerEvent: c.subscribed, channels, perEvent: 1, payloadBytes: PAYLOAD_BYTES };
          await runPhase(pool, publisher, handle.pid, {
            ...base,
            mode: 'saturate',
            seconds: 1,
            windowMessages: WINDOW_MESSAGES,
          });
          if (rate !== null) {
            const fixed = await runPhase(pool, publisher, handle.pid, {
              ...base,
              mode: 'rate',
              rate,
              seconds,
            });
            const m = recorder(scenario, target.name, `N=${n}, ${rate} ev/s`);
            phaseMeasurements(m.add, fixed);
            out.push(...m.out);
            ctx.log(`    ${rate} ev/s: ${describePhase(fixed)}`);
          }
          const saturated = await runPhase(pool, publisher, handle.pid, {
            ...base,
            mode: 'saturate',
            seconds,
            windowMessages: WINDOW_MESSAGES,
          });
          const m = recorder(scenario, target.name, `N=${n}, saturation`);
          phaseMeasurements(m.add, saturated);
          out.push(...m.out);
          ctx.log(`    saturation: ${describePhase(saturated)}`);
        },
      );
      return out;
    },
  };
}

export function sseCases(quick: boolean): BenchCase[] {
  return [quick ? streamCase('sse', 1000, null, 2) : streamCase('sse', 1000, 50, 8)];
}

export function longPollCases(quick: boolean): BenchCase[] {
  // Quick mode keeps SSE only, to stay within its three minutes.
  return quick ? [] : [streamCase('poll', 1000, 50, 8)];
}
