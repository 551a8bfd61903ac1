#!/usr/bin/env node
// Finds *.test.ts files under the given folders and runs them with Node's test runner (TypeScript via tsx).
// Node 20's `--test` does not expand globs itself, and npm scripts run under sh, which has no `**`.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(path, out) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return out;
  if (stat.isFile()) {
    if (path.endsWith('.test.ts')) out.push(path);
    return out;
  }
  for (const entry of readdirSync(path).sort()) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    collect(join(path, entry), out);
  }
  return out;
}

const args = process.argv.slice(2);
const passThrough = args.filter((a) => a.startsWith('--'));
const roots = args.filter((a) => !a.startsWith('--'));
const files = roots.flatMap((root) => collect(root, []));
if (files.length === 0) {
  console.error(`no test files found under: ${roots.join(', ')}`);
  process.exit(1);
}
const child = spawn(process.execPath, ['--import', 'tsx', '--test', ...passThrough, ...files], {
  stdio: 'inherit',
});
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
