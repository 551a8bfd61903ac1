/** Plain-text and Markdown tables of the aggregated rows, with PressRelay's ratio to each baseline. */
import { type Row, ratio } from './aggregate.js';
import type { CheckResult } from './checks.js';

export const BASELINES = ['naive', 'preframed', 'coalescing'];

function num(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  const a = Math.abs(v);
  if (a >= 10000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function ratioText(r: number | null): string {
  return r === null ? '–' : `${r.toFixed(2)}×`;
}

function columns(rows: Row[], targets: string[]): { head: string[]; body: string[][] } {
  const present = targets.filter((t) => rows.some((r) => t in r.values));
  const withPr = present.includes('pressrelay');
  const ratioCols = withPr ? [...BASELINES, 'plain-ws'].filter((b) => present.includes(b)) : [];
  const head = ['scenario', 'case', 'metric', ...present, ...ratioCols.map((b) => `PR/${b}`)];
  const body = rows.map((row) => [
    row.scenario,
    row.case,
    `${row.metric} (${row.unit})`,
    ...present.map((t) => (t in row.values ? num(row.values[t]) : '')),
    ...ratioCols.map((b) => ratioText(ratio(row, b))),
  ]);
  return { head, body };
}

export function textTable(rows: Row[], targets: string[]): string {
  const { head, body } = columns(rows, targets);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function markdownTable(rows: Row[], targets: string[]): string {
  const { head, body } = columns(rows, targets);
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i < 3 ? '---' : '---:')).join('|')}|`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

export function checksText(checks: CheckResult[]): string {
  return checks.map((c) => `${c.status.padEnd(4)}  ${c.description}: ${c.detail}`).join('\n');
}

export function notesText(rows: Row[]): string {
  const lines: string[] = [];
  for (const row of rows) {
    for (const [target, note] of Object.entries(row.notes))
      lines.push(`${target} · ${row.scenario} ${row.case} ${row.metric}: ${note}`);
  }
  return lines.join('\n');
}
