#!/usr/bin/env node
/**
 * Builds the client bundles with esbuild (the type declarations come from `tsc -b packages/client`):
 *   dist/index.js           ESM, for bundlers and Node (`import { Client, bindDom } from '@pressrelay/client'`)
 *   dist/pressrelay.iife.js minified single file for a <script> tag; defines the global `PressRelay`
 * `node packages/client/build.mjs --size` also prints the minified+gzipped size next to pusher-js's, measured the
 * same way (esbuild minify, then gzip level 9).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
// Browsers from 2018 on (ES2018); the SSE and poll transports need fetch and AbortController anyway.
const target = ['es2018'];

await build({
  entryPoints: [join(here, 'src/index.ts')],
  outfile: join(dist, 'index.js'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target,
  sourcemap: true,
  logLevel: 'warning',
});
await build({
  entryPoints: [join(here, 'src/iife.ts')],
  outfile: join(dist, 'pressrelay.iife.js'),
  bundle: true,
  format: 'iife',
  globalName: 'PressRelay',
  platform: 'browser',
  target,
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
});

if (process.argv.includes('--size')) {
  const ours = readFileSync(join(dist, 'pressrelay.iife.js'), 'utf8').replace(
    /\n\/\/# sourceMappingURL=.*\n?$/,
    '',
  );
  const require = createRequire(import.meta.url);
  const pusherDir = dirname(require.resolve('pusher-js/package.json'));
  const pusherVersion = JSON.parse(readFileSync(join(pusherDir, 'package.json'), 'utf8')).version;
  const pusher = await build({
    entryPoints: [join(pusherDir, 'dist/web/pusher.js')],
    write: false,
    minify: true,
    target,
    logLevel: 'warning',
  });
  const pusherMin = pusher.outputFiles[0].text;
  const shipped = readFileSync(join(pusherDir, 'dist/web/pusher.min.js'), 'utf8');
  const gz = (text) => gzipSync(text, { level: 9 }).length;
  const row = (name, text) =>
    `${name.padEnd(40)} ${String(text.length).padStart(7)} B min  ${String(gz(text)).padStart(6)} B min+gz`;
  console.log(row('@pressrelay/client dist/pressrelay.iife.js', ours));
  console.log(row(`pusher-js ${pusherVersion} web (esbuild minify)`, pusherMin));
  console.log(row(`pusher-js ${pusherVersion} dist/web/pusher.min.js`, shipped));
  if (gz(ours) >= gz(pusherMin)) {
    console.error('size budget exceeded: the client must be smaller than pusher-js (min+gz)');
    process.exitCode = 1;
  }
}
