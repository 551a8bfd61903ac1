/**
 * Folds the measurements of all rounds into one row per (scenario, case, metric) with the median value
 * per target, and the ratio of PressRelay to each baseline.
 */
import type { Measurement } from '../scenarios/types.js';

export interface Row {
  scenario: string;
  case: string;
  metric: string;
  unit: string;
  better: 'higher' | 'lower' | 'info';
  /** Median over rounds per target; null where the target could not measure it. */
  values: Record<string, number | null>;
  /** Every round's value per target, for the JSON. */
  rounds: Record<string, (number | null)[]>;
  notes: Record<string, string>;
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function aggregate(measurements: Measurement[]): Row[] {
  const rows = new Map<string, Row>();
  for (const m of measurements) {
    const key = `${m.scenario}\u0000${m.case}\u0000${m.metric}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        scenario: m.scenario,
        case: m.case,
        metric: m.metric,
        unit: m.unit,
        better: m.better,
        values: {},
        rounds: {},
        notes: {},
      };
      rows.set(key, row);
    }
    row.rounds[m.target] = [...(row.rounds[m.target] ?? []), m.value];
    if (m.note) row.notes[m.target] = m.note;
  }
  for (const row of rows.values()) {
    for (const [target, values] of Object.entries(row.rounds)) {
      row.values[target] = median(values.filter((v): v is number => v !== null));
    }
  }
  return [...rows.values()];
}

/** PressRelay's value divided by the baseline's, or null when either is missing or zero. */
export function ratio(row: Row, baseline: string, subject = 'pressrelay'): number | null {
  if (row.better === 'info') return null;
  const a = row.values[subject];
  const b = row.values[baseline];
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return null;
  return a / b;
}

export function findRow(rows: Row[], scenario: string, caseName: string, metric: string): Row | undefined {
  return rows.find((r) => r.scenario === scenario && r.case === caseName && r.metric === metric);
}
