/**
 * The targets, checked against the measured medians. A check with a missing figure (target not
 * run, feature not supported yet) is reported as n/a, never as a pass.
 */
import { findRow, type Row, ratio } from './aggregate.js';

export interface CheckResult {
  id: string;
  description: string;
  status: 'pass' | 'FAIL' | 'n/a';
  detail: string;
}

interface RatioCheck {
  id: string;
  description: string;
  row: [scenario: string, caseName: string, metric: string];
  baseline: string;
  /** PressRelay / baseline must be at least (min) or at most (max) this. */
  min?: number;
  max?: number;
  /** Compare baseline / PressRelay instead (for costs: CPU per message → messages per CPU second). */
  invert?: boolean;
}

interface AbsoluteCheck {
  id: string;
  description: string;
  row: [scenario: string, caseName: string, metric: string];
  max: number;
}

const RATIO_CHECKS: RatioCheck[] = [1000, 10000].flatMap((n) => [
  {
    id: `fanout-${n}-vs-coalescing`,
    description: `Fan-out N=${n} saturation throughput ≥ 0.9× coalescing`,
    row: ['fan-out', `N=${n}, saturation`, 'delivered'] as [string, string, string],
    baseline: 'coalescing',
    min: 0.9,
  },
  {
    id: `fanout-${n}-vs-naive`,
    description: `Fan-out N=${n} saturation throughput ≥ 5× naive`,
    row: ['fan-out', `N=${n}, saturation`, 'delivered'] as [string, string, string],
    baseline: 'naive',
    min: 5,
  },
  {
    id: `fanout-${n}-cpu-vs-coalescing`,
    description: `Fan-out N=${n} saturation, messages per server CPU second ≥ 0.9× coalescing (contention-proof)`,
    row: ['fan-out', `N=${n}, saturation`, 'server CPU / msg'] as [string, string, string],
    baseline: 'coalescing',
    min: 0.9,
    invert: true,
  },
  {
    id: `fanout-${n}-cpu-vs-naive`,
    description: `Fan-out N=${n} saturation, messages per server CPU second ≥ 5× naive (contention-proof)`,
    row: ['fan-out', `N=${n}, saturation`, 'server CPU / msg'] as [string, string, string],
    baseline: 'naive',
    min: 5,
    invert: true,
  },
  {
    id: `fanout-${n}-p99-saturation`,
    description: `Fan-out N=${n} p99 at saturation ≤ coalescing's`,
    row: ['fan-out', `N=${n}, saturation`, 'latency p99'] as [string, string, string],
    baseline: 'coalescing',
    max: 1,
  },
]);

RATIO_CHECKS.push(
  {
    id: 'fanout-10000-p99-5ps',
    description: 'Fan-out N=10000 at 5 ev/s: p99 ≤ 1.25× pre-framed',
    row: ['fan-out', 'N=10000, 5 ev/s', 'latency p99'],
    baseline: 'preframed',
    max: 1.25,
  },
  {
    id: 'memory-vs-plain-ws',
    description: 'RSS per idle WebSocket connection ≤ 1.25× plain ws',
    row: ['connections', '10000 idle', 'RSS / conn'],
    baseline: 'plain-ws',
    max: 1.25,
  },
);

const ABSOLUTE_CHECKS: AbsoluteCheck[] = [
  {
    id: 'limit-refused',
    description: 'Idle connections up to the open-file limit: none refused',
    row: ['connections', 'open-file limit', 'refused'],
    max: 0,
  },
  {
    id: 'limit-dropped',
    description: 'Idle connections up to the open-file limit: none dropped',
    row: ['connections', 'open-file limit', 'dropped while held'],
    max: 0,
  },
  {
    id: 'recovery-live-gap',
    description: 'Recovery burst blocks live delivery ≤ 100 ms',
    row: ['recovery', '1000 × 100 missed', 'live blocked'],
    max: 100,
  },
];

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2));

export function evaluate(rows: Row[]): CheckResult[] {
  const results: CheckResult[] = [];
  for (const check of RATIO_CHECKS) {
    const row = findRow(rows, ...check.row);
    const direct = row ? ratio(row, check.baseline) : null;
    const r = check.invert ? (direct ? 1 / direct : null) : direct;
    if (r === null) {
      results.push({ id: check.id, description: check.description, status: 'n/a', detail: 'not measured' });
      continue;
    }
    const ok = (check.min === undefined || r >= check.min) && (check.max === undefined || r <= check.max);
    results.push({
      id: check.id,
      description: check.description,
      status: ok ? 'pass' : 'FAIL',
      detail: `${fmt(r)}×`,
    });
  }
  for (const check of ABSOLUTE_CHECKS) {
    const row = findRow(rows, ...check.row);
    const v = row?.values.pressrelay;
    if (v === null || v === undefined) {
      const note = row?.notes.pressrelay;
      results.push({
        id: check.id,
        description: check.description,
        status: 'n/a',
        detail: note ?? 'not measured',
      });
      continue;
    }
    results.push({
      id: check.id,
      description: check.description,
      status: v <= check.max ? 'pass' : 'FAIL',
      detail: fmt(v),
    });
  }
  return results;
}
