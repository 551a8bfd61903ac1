/**
 * `npm run bench`: runs every benchmark case against every target (three baselines, PressRelay, and
 * plain ws for memory) in the same run, prints a table with PressRelay's ratios and the issue's
 * targets, and writes the same results as JSON to bench/results/<timestamp>.json.
 *
 * Servers are pinned to CPU 0 and everything else (load generators, publisher, this runner) to the
 * other CPUs, so the server's CPU is its own; see docs/benchmarks.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from './lib/args.js';
import { waitForQuiet } from './lib/load-meter.js';
import { machineInfo } from './lib/machine.js';
import { killAll, pin } from './lib/processes.js';
import { aggregate } from './report/aggregate.js';
import { evaluate } from './report/checks.js';
import { checksText, notesText, textTable } from './report/table.js';
import { SCENARIOS } from './scenarios/index.js';
import type { BenchCase, Measurement, ScenarioContext } from './scenarios/types.js';
import { allTargets } from './targets/index.js';
import type { Target } from './targets/types.js';

/** A single case run (one target) may not take longer than this; its processes are killed if it does. */
const CASE_TIMEOUT_MS = 240_000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => {
      killAll();
      fail(new Error(`${what} exceeded ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = new Date();
  const cores = cpus().length;
  const pinned = args.pin && cores >= 2;
  const serverCpus = pinned ? '0' : null;
  if (pinned) pin(process.pid, `1-${cores - 1}`); // children inherit it
  const ctx: ScenarioContext = { quick: args.quick, serverCpus, log: (m) => console.log(m) };

  const unavailable: Record<string, string> = {};
  const targets: Target[] = [];
  for (const target of allTargets(serverCpus, args.profile)) {
    if (args.targets && !args.targets.includes(target.name)) continue;
    const reason = target.unavailable();
    if (reason) {
      unavailable[target.name] = reason;
      console.log(`target ${target.name}: skipped, ${reason}`);
    } else targets.push(target);
  }
  const scenarioNames = Object.keys(SCENARIOS).filter((s) => !args.scenarios || args.scenarios.includes(s));
  const cases: BenchCase[] = scenarioNames.flatMap((name) => SCENARIOS[name]!(args.quick));
  console.log(
    `bench: ${args.quick ? 'quick' : 'full'}, ${args.rounds} round(s), ${cases.length} cases × ${targets.length} targets, ` +
      `${pinned ? 'servers on CPU 0, load on the rest' : 'no CPU pinning'}`,
  );

  const measurements: Measurement[] = [];
  const errors: string[] = [];
  const file =
    args.out ??
    join(
      dirname(fileURLToPath(import.meta.url)),
      'results',
      `${started.toISOString().replace(/[:.]/g, '-')}.json`,
    );
  const targetNames = targets.map((t) => t.name);
  // Written after every case, so an interrupted run still leaves what it measured.
  const save = (complete: boolean) => {
    const rows = aggregate(measurements);
    mkdirSync(dirname(file), { recursive: true });
    const json = {
      startedAt: started.toISOString(),
      finishedAt: complete ? new Date().toISOString() : null,
      command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
      quick: args.quick,
      rounds: args.rounds,
      pinning: pinned ? { server: '0', load: `1-${cores - 1}` } : null,
      machine: machineInfo(),
      targets: targetNames,
      unavailable,
      rows,
      checks: evaluate(rows),
      errors,
      measurements,
    };
    writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
    return rows;
  };
  for (const benchCase of cases) {
    const applicable = targets.filter((t) => benchCase.appliesTo(t));
    for (let round = 0; round < args.rounds; round++) {
      // Rotate the order each round so no target always runs first (or right after a heavy one).
      const order = applicable.map((_, i) => applicable[(i + round) % applicable.length]!);
      for (const target of order) {
        const what = `${benchCase.scenario} ${benchCase.name} · ${target.name} · round ${round + 1}`;
        // Full runs wait (≤ 5 s) for a quiet machine; quick runs cannot afford it.
        const load = args.quick ? 0 : await waitForQuiet(5000);
        console.log(
          `\n${what}${load > 0.25 ? ` (machine busy: ${load.toFixed(2)} cores used by others)` : ''}`,
        );
        try {
          measurements.push(...(await withTimeout(benchCase.run(target, ctx), CASE_TIMEOUT_MS, what)));
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          errors.push(`${what}: ${message}`);
          console.log(`    ERROR ${message.split('\n')[0]}`);
        }
      }
    }
    save(false);
  }

  const rows = save(true);
  const checks = evaluate(rows);
  console.log(`\n${textTable(rows, targetNames)}\n`);
  const notes = notesText(rows);
  if (notes) console.log(`Notes:\n${notes}\n`);
  console.log(`Targets (PressRelay):\n${checksText(checks)}`);
  if (Object.keys(unavailable).length) console.log(`\nNot run: ${JSON.stringify(unavailable)}`);
  if (errors.length) console.log(`\nErrors:\n${errors.join('\n')}`);
  console.log(`\nresults: ${file}`);
}

main()
  .catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  })
  .finally(() => {
    killAll();
    // Workers' IPC handles would otherwise keep the runner alive after an error.
    setTimeout(() => process.exit(), 100).unref();
  });
