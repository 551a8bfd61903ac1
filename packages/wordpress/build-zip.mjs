#!/usr/bin/env node
// Writes build/pressrelay.zip: the plugin folder `pressrelay/` as WordPress installs it (Plugins → Add New →
// Upload), with the built browser client at pressrelay/assets/js/pressrelay.iife.js. Tests and dev files stay out.
// Usage: node packages/wordpress/build-zip.mjs [--out path/to/pressrelay.zip]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? resolve(process.argv[outIndex + 1]) : join(root, 'build', 'pressrelay.zip');
const clientDir = join(root, 'packages/client');
const clientBundle = join(clientDir, 'dist/pressrelay.iife.js');

/** Paths (relative to the plugin folder) that are not shipped. */
const EXCLUDE = [
  /^tests(\/|$)/,
  /^build-zip\.mjs$/,
  /^phpunit\.xml(\.dist)?$/,
  /^phpcs\.xml(\.dist)?$/,
  /^\.[^/]*$/,
  /^node_modules(\/|$)/,
  /^assets\/js\/pressrelay\.iife\.js(\.map)?$/,
];

function collect(dir, files) {
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    const rel = relative(here, path).split(sep).join('/');
    if (EXCLUDE.some((pattern) => pattern.test(rel))) continue;
    if (statSync(path).isDirectory()) collect(path, files);
    else files[`pressrelay/${rel}`] = readFileSync(path);
  }
  return files;
}

// Always rebuild the client when its build script is there, so the zip never ships a stale bundle.
if (existsSync(join(clientDir, 'build.mjs'))) {
  const built = spawnSync(process.execPath, [join(clientDir, 'build.mjs')], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
if (!existsSync(clientBundle)) {
  console.error(`build-zip: the browser client is not built (${relative(root, clientBundle)} is missing).`);
  console.error('Run `npm run build` (packages/client) first.');
  process.exit(1);
}

const files = collect(here, {});
for (const required of ['pressrelay/pressrelay.php', 'pressrelay/readme.txt', 'pressrelay/uninstall.php']) {
  if (!files[required]) {
    console.error(`build-zip: ${required} is missing`);
    process.exit(1);
  }
}
files['pressrelay/assets/js/pressrelay.iife.js'] = readFileSync(clientBundle);
const zip = zipSync(files, { level: 9, mtime: new Date('2026-01-01T00:00:00Z') });
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, zip);
console.log(`${relative(process.cwd(), out)}: ${Object.keys(files).length} files, ${zip.length} bytes`);
