/**
 * Browser test plumbing: build the client bundle, serve a static page with a cached baseline and the IIFE from
 * a local server, launch Debian's Chromium through playwright-core (never a downloaded browser).
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = '/usr/bin/chromium';

/** Builds `packages/client/dist/pressrelay.iife.js` and returns its text. */
export function buildBundle(): string {
  execFileSync(process.execPath, [join(ROOT, 'packages/client/build.mjs')], {
    stdio: 'inherit',
    timeout: 60_000,
  });
  return readFileSync(join(ROOT, 'packages/client/dist/pressrelay.iife.js'), 'utf8');
}

/**
 * Chromium, or null when it is missing outside CI (the caller skips, saying why). In CI a missing Chromium
 * throws: the suite fails, it never skips.
 */
export async function launchChromium(): Promise<Browser | null> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true')
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium (.ci/run does)`);
    return null;
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
    timeout: 30_000,
  });
}

export interface StaticSite {
  url: string;
  /** Serves `html` at `path`. */
  page(path: string, html: string): string;
  close(): Promise<void>;
}

/** Serves the bundle at `/pressrelay.iife.js` and the registered pages. */
export async function startSite(bundle: string): Promise<StaticSite> {
  const pages = new Map<string, string>();
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    if (path === '/pressrelay.iife.js') {
      response.writeHead(200, {
        'Content-Type': 'text/javascript; charset=utf-8',
        'Cache-Control': 'no-store',
      });
      response.end(bundle);
      return;
    }
    const html = pages.get(path);
    response.writeHead(html ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(html ?? 'not found');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    page(path, html) {
      pages.set(path, html);
      return url + path;
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/**
 * A page as the WordPress plugin renders it: the cached baseline (12 seats) in a bound element, the config in
 * `window.PressRelayConfig`, then the IIFE. A second script records every event and state change for the test.
 */
export function seatsPage(config: Record<string, unknown>): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Seat A12</title></head>
<body>
<p>Seats left: <span id="seats" data-pressrelay-channel="seats-A12" data-pressrelay-event="seats-changed" data-pressrelay-field="seats_left">12</span></p>
<div id="later"></div>
<script>window.PressRelayConfig = ${JSON.stringify(config)};</script>
<script src="/pressrelay.iife.js"></script>
<script>
  window.seen = [];
  window.states = [pressRelay.connection.state];
  window.transports = [];
  pressRelay.subscribe('seats-A12').bind('seats-changed', function (data) { seen.push(data.seq); });
  pressRelay.connection.bind('state_change', function (change) { states.push(change.current); });
  pressRelay.connection.bind('connected', function () { transports.push(pressRelay.connection.transport); });
  pressRelay.connection.bind('transport_change', function (change) { transports.push(change.current); });
</script>
</body></html>`;
}
