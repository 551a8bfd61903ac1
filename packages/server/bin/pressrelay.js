#!/usr/bin/env node
// The installed command. It exists before the build (npm links bins at install time), and loads the built CLI.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('pressrelay: not built yet; run `npm run build` (or `npm start`) first\n');
  process.exit(1);
}
await import(cli.href);
