/**
 * Prints a results file of `npm run bench` as Markdown (the table and the target checks), for docs/benchmarks.md:
 * `node --import tsx bench/report/to-markdown.ts bench/results/<file>.json`.
 */
import { readFileSync } from 'node:fs';
import type { Row } from './aggregate.js';
import type { CheckResult } from './checks.js';
import { checksText, markdownTable } from './table.js';

interface ResultsFile {
  command: string;
  startedAt: string;
  rounds: number;
  targets: string[];
  rows: Row[];
  checks: CheckResult[];
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node --import tsx bench/report/to-markdown.ts <results.json>\n');
  process.exit(2);
}
const results = JSON.parse(readFileSync(file, 'utf8')) as ResultsFile;
process.stdout.write(
  `Command: \`${results.command}\` (${results.rounds} rounds, medians), started ${results.startedAt}.\n\n` +
    `${markdownTable(results.rows, results.targets)}\n\n\`\`\`\n${checksText(results.checks)}\n\`\`\`\n`,
);
