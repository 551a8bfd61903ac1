/**
 * Many channels: 10,000 channels with one WebSocket subscriber each; every event names
 * CHANNELS_PER_EVENT consecutive channels (round-robin over all of them), so each publish is one HTTP
 * request delivering to that many sockets, and over a run every channel gets events.
 */
import type { Target } from '../targets/types.js';
import { describePhase, PAYLOAD_BYTES, phaseMeasurements, WINDOW_MESSAGES } from './fanout.js';
import { runPhase } from './phase.js';
import { withSubscribers } from './session.js';
import { type BenchCase, MEMORY_ONLY, type Measurement, recorder, type ScenarioContext } from './types.js';

export const CHANNELS_PER_EVENT = 10;

function manyChannelsCase(channelCount: number, rate: number, seconds: number): BenchCase {
  return {
    scenario: 'many channels',
    name: `${channelCount} channels`,
    appliesTo: (target) => !MEMORY_ONLY.has(target.name),
    async run(target: Target, ctx: ScenarioContext): Promise<Measurement[]> {
      const out: Measurement[] = [];
      const channels = { prefix: 'many', offset: 0, count: channelCount };
      await withSubscribers(
        target,
        ctx,
        { count: channelCount, workers: 4, channels },
        async ({ handle, pool, publisher }) => {
          const base = {
            messagesPerEvent: CHANNELS_PER_EVENT,
            channels,
            perEvent: CHANNELS_PER_EVENT,
            payloadBytes: PAYLOAD_BYTES,
          };
          await runPhase(pool, publisher, handle.pid, {
            ...base,
            mode: 'saturate',
            seconds: 1,
            windowMessages: WINDOW_MESSAGES,
          });
          const label = `${channelCount}×1, ${CHANNELS_PER_EVENT} ch/event`;
          const fixed = await runPhase(pool, publisher, handle.pid, { ...base, mode: 'rate', rate, seconds });
          const m1 = recorder('many channels', target.name, `${label}, ${rate} ev/s`);
          phaseMeasurements(m1.add, fixed);
          ctx.log(`    ${rate} ev/s: ${describePhase(fixed)}`);
          const saturated = await runPhase(pool, publisher, handle.pid, {
            ...base,
            mode: 'saturate',
            seconds,
            windowMessages: WINDOW_MESSAGES,
          });
          const m2 = recorder('many channels', target.name, `${label}, saturation`);
          phaseMeasurements(m2.add, saturated);
          ctx.log(`    saturation: ${describePhase(saturated)}`);
          out.push(...m1.out, ...m2.out);
        },
      );
      return out;
    },
  };
}

export function manyChannelsCases(quick: boolean): BenchCase[] {
  return quick ? [] : [manyChannelsCase(10000, 500, 8)];
}
