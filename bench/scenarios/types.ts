import type { Target } from '../targets/types.js';

/** One number measured for one target. The runner lays these out as rows (case+metric) × columns (target). */
export interface Measurement {
  scenario: string;
  /** e.g. "N=10000, 5 ev/s". */
  case: string;
  metric: string;
  unit: string;
  /** 'info' rows (e.g. the machine's other load) get no ratio. */
  better: 'higher' | 'lower' | 'info';
  target: string;
  /** null when the target does not support the feature; `note` then says why. */
  value: number | null;
  note?: string;
}

export interface ScenarioContext {
  quick: boolean;
  /** CPU list the servers are pinned to, or null when not pinning. */
  serverCpus: string | null;
  log(message: string): void;
}

/**
 * One benchmark case (e.g. "fan-out N=10000"). The runner runs a case for every target back to back,
 * in rotating order and for several rounds, so drift in a shared machine's load hits all targets
 * alike; each run starts a fresh server.
 */
export interface BenchCase {
  scenario: string;
  name: string;
  /** Which targets it applies to: delivery cases need the WS baselines, memory also plain ws. */
  appliesTo(target: Target): boolean;
  run(target: Target, ctx: ScenarioContext): Promise<Measurement[]>;
}

/** Names of the servers that only exist for the memory comparison. */
export const MEMORY_ONLY = new Set(['plain-ws', 'plain-ws+req']);

/** Builds the measurements of one case for one target. */
export function recorder(scenario: string, target: string, caseName: string) {
  const out: Measurement[] = [];
  const add = (
    metric: string,
    unit: string,
    better: 'higher' | 'lower' | 'info',
    value: number | null,
    note?: string,
  ): void => {
    out.push({ scenario, case: caseName, metric, unit, better, target, value, ...(note ? { note } : {}) });
  };
  return { out, add };
}
