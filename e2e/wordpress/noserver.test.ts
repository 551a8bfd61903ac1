/**
 * No-server mode and the polling fallback, end to end: a real WordPress (MariaDB, php -S) with the plugin from
 * build/pressrelay.zip, headless Chromium, and — for the fallback — the real PressRelay server, stopped and
 * started again. Shows that
 * - with no realtime server configured, a published post and a meta change reach an already loaded page within
 *   the polling interval, without any WebSocket, with 304s while nothing changes, and a cached copy of the page
 *   catches up from its cursor;
 * - with the server configured and then stopped, events keep arriving by polling, and after it returns the page
 *   is back on WebSocket with every event exactly once, in order (the copies the server delivers late are
 *   recognised by their WordPress position and dropped).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type ServerHandle, startServer } from '../../packages/server/test/harness.js';
import { login, type Session } from './lib/http.js';
import { freePort, startWordPress, type WordPressSite } from './lib/wordpress.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ADMIN_PASSWORD = 'admin-password';
/** The plugin's default polling interval while the page is visible. */
const INTERVAL_MS = 5000;

interface Ctx {
  tmp: string;
  site: WordPressSite;
  server?: ServerHandle;
  browser: Browser;
  admin: Session;
  concertId: number;
  pageId: number;
}
const ctx = {} as Ctx;

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Polls until check() returns a value (not undefined), at most timeoutMs and 600 tries. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 600 && Date.now() < deadline; attempt++) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

async function adminRest(route: string, body: unknown): Promise<number> {
  const response = await fetch(ctx.site.rest(route), {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: ctx.admin.cookie, 'X-WP-Nonce': ctx.admin.nonce },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  await response.arrayBuffer();
  return response.status;
}

async function textOf(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (element) => element.textContent ?? '');
}

/** Milliseconds until the element shows `expected` (bounded). */
async function timeUntilText(
  page: Page,
  selector: string,
  expected: string,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  await page.waitForFunction(
    ([sel, text]) => document.querySelector(sel as string)?.textContent === text,
    [selector, expected],
    { timeout: timeoutMs, polling: 50 },
  );
  return Date.now() - started;
}

/** Watches a page's traffic: events-route answers by status, WebSockets opened, WebSocket frames received. */
function watch(page: Page) {
  const polls: number[] = [];
  const frames: string[] = [];
  let sockets = 0;
  page.on('response', (response) => {
    if (
      response.url().includes('pressrelay%2Fv1%2Fevents') ||
      response.url().includes('pressrelay/v1/events')
    ) {
      polls.push(response.status());
    }
  });
  page.on('websocket', (socket) => {
    sockets++;
    socket.on('framereceived', (frame) => frames.push(String(frame.payload)));
  });
  return { polls, frames, sockets: () => sockets };
}

async function outbox(): Promise<Record<string, number>> {
  return JSON.parse(
    await ctx.site.php('echo wp_json_encode( PressRelay\\Plugin::instance()->store()->counts() );'),
  ) as Record<string, number>;
}

describe('PressRelay without a realtime server, and with one that goes away', { timeout: 240_000 }, () => {
  before(async () => {
    ctx.tmp = mkdtempSync(join(tmpdir(), 'pressrelay-noserver-'));
    const zipPath = join(ctx.tmp, 'pressrelay.zip');
    execFileSync(process.execPath, [join(ROOT, 'packages/wordpress/build-zip.mjs'), '--out', zipPath], {
      stdio: 'pipe',
    });
    for (const [name, bytes] of Object.entries(unzipSync(readFileSync(zipPath)))) {
      const target = join(ctx.tmp, 'plugins', name);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, bytes);
    }
    // Only this suite's tuning: reconnect to the realtime server at most 5 s apart (default 30 s), so the
    // return of the server is noticed quickly. Polling intervals and the unavailable timeout stay the defaults.
    const tuning = join(ctx.tmp, 'pressrelay-e2e-tuning.php');
    writeFileSync(
      tuning,
      "<?php\nadd_filter( 'pressrelay_client_config', static function ( $config ) { $config['reconnect'] = array( 'baseMs' => 500, 'maxMs' => 5000 ); return $config; } );\n",
    );
    ctx.site = await startWordPress({
      pluginDir: join(ctx.tmp, 'plugins/pressrelay'),
      port: await freePort(),
      muPlugins: [join(ROOT, 'e2e/wordpress/fixtures/pressrelay-e2e.php'), tuning],
      constants: { DISABLE_WP_CRON: true },
    });
    await ctx.site.php(`
      update_option( 'pressrelay_settings', array( 'triggers' => array( 'posts' => true, 'meta' => true ), 'meta_keys' => array( 'seats_left' ) ) );`);
    ctx.concertId = Number(
      await ctx.site.php(
        `$id = wp_insert_post( array( 'post_title' => 'Concert', 'post_status' => 'publish' ) ); update_post_meta( $id, 'seats_left', '12' ); echo $id;`,
      ),
    );
    ctx.pageId = Number(
      await ctx.site.php(
        `echo wp_insert_post( array( 'post_type' => 'page', 'post_status' => 'publish', 'post_title' => 'Live board', 'post_content' => '<p>Latest: [pressrelay latest="title" class="latest"]</p><p>Seats: [pressrelay meta="seats_left" post_id="${ctx.concertId}" class="seats"]</p>' ) );`,
      ),
    );
    ctx.admin = await login(ctx.site.url, 'admin', ADMIN_PASSWORD);
    ctx.browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
  });

  after(async () => {
    await ctx.browser?.close();
    await ctx.server?.stop();
    await ctx.site?.stop();
    if (ctx.tmp) rmSync(ctx.tmp, { recursive: true, force: true });
  });

  it('with no realtime server configured, a published post and a meta change reach a loaded page within the polling interval', async (t) => {
    const pageUrl = `${ctx.site.url}/?page_id=${ctx.pageId}`;
    const html = await (await fetch(pageUrl)).text();
    assert.match(html, /window\.PressRelayConfig = \{"wordpress":\{"eventsUrl":"[^"]+","mode":"polling"/);
    assert.ok(!/"key":/.test(html), 'no realtime server: no key, no URL');

    const page = await ctx.browser.newPage();
    const traffic = watch(page);
    await page.goto(pageUrl);
    assert.equal(await textOf(page, '.latest'), 'Concert');
    await waitFor('the first poll', async () => (traffic.polls.length > 0 ? true : undefined));
    assert.equal(traffic.polls[0], 200);

    const title = `Polled news ${Date.now()}`;
    assert.equal(await adminRest('/wp/v2/posts', { title, status: 'publish' }), 201);
    const postMs = await timeUntilText(page, '.latest', title, INTERVAL_MS + 3000);
    assert.equal(await adminRest(`/wp/v2/posts/${ctx.concertId}`, { meta: { seats_left: '11' } }), 200);
    const metaMs = await timeUntilText(page, '.seats', '11', INTERVAL_MS + 3000);
    t.diagnostic(
      `post reached the page after ${postMs} ms, the meta change after ${metaMs} ms (interval ${INTERVAL_MS} ms)`,
    );

    // Nothing new: the next polls are bodiless 304s.
    const before = traffic.polls.length;
    await waitFor(
      'two more polls',
      async () => (traffic.polls.length >= before + 2 ? true : undefined),
      3 * INTERVAL_MS,
    );
    assert.deepEqual(traffic.polls.slice(before, before + 2), [304, 304], JSON.stringify(traffic.polls));
    assert.equal(traffic.sockets(), 0, 'no WebSocket was ever opened');
    assert.equal(
      await page.evaluate(
        () => (window as unknown as { pressRelay: { polling: boolean } }).pressRelay.polling,
      ),
      true,
    );

    // A copy of the page cached before those changes catches up from the cursor it carries, on its first poll.
    const cache = await serveOnce(html);
    try {
      const cached = await ctx.browser.newPage();
      await cached.goto(cache.url);
      await cached.waitForFunction(
        ([expectedTitle]) =>
          document.querySelector('.latest')?.textContent === expectedTitle &&
          document.querySelector('.seats')?.textContent === '11',
        [title],
        { timeout: 5000 },
      );
      await cached.close();
    } finally {
      await cache.close();
    }
    const counts = await outbox();
    assert.ok(
      (counts.logged ?? 0) > 0,
      `events are logged for polling, not queued for a server: ${JSON.stringify(counts)}`,
    );
    assert.equal((counts.pending ?? 0) + (counts.retry ?? 0), 0);
    await page.close();
  });

  it('with the server configured and then stopped, events arrive by polling; after it returns the page is back on WebSocket with every event once, in order', async (t) => {
    ctx.server = await startServer();
    const server = ctx.server;
    await ctx.site.php(`
      $s = get_option( 'pressrelay_settings', array() );
      $s['url'] = ${JSON.stringify(server.url)};
      $s['app_id'] = ${JSON.stringify(server.app.id)};
      $s['key'] = ${JSON.stringify(server.app.key)};
      $s['secret'] = ${JSON.stringify(server.app.secret)};
      update_option( 'pressrelay_settings', $s );`);
    const page = await ctx.browser.newPage();
    const traffic = watch(page);
    await page.goto(`${ctx.site.url}/?page_id=${ctx.pageId}`);
    const state = () =>
      page.evaluate(() => {
        const client = (
          window as unknown as {
            pressRelay: { connection: { transport: string | null }; wordpress: { active: boolean } | null };
          }
        ).pressRelay;
        return { transport: client.connection.transport, polling: client.wordpress?.active ?? null };
      });
    assert.equal(
      await page.evaluate(
        () =>
          (window as unknown as { PressRelayConfig: { wordpress: { mode: string } } }).PressRelayConfig
            .wordpress.mode,
      ),
      'push-with-polling-fallback',
      'the default mode with a server',
    );
    await waitFor('the WebSocket', async () => ((await state()).transport === 'ws' ? true : undefined));
    const channel = `post-${ctx.concertId}`;
    await page.evaluate((name) => {
      const w = window as unknown as {
        seen: Array<[string, string]>;
        failures: unknown[];
        pressRelay: {
          channel(name: string): {
            subscribed: boolean;
            bind(event: string, callback: (data: unknown, meta: { id?: string }) => void): void;
          };
        };
      };
      w.seen = [];
      w.failures = [];
      const subscription = w.pressRelay.channel(name);
      subscription.bind('meta-updated', (data, meta) =>
        w.seen.push([(data as { value: string }).value, meta.id ?? '']),
      );
      subscription.bind('recovery_failed', (failure) => w.failures.push(failure));
    }, channel);
    await waitFor('the subscription', async () =>
      (await page.evaluate(
        (name) =>
          (
            window as unknown as { pressRelay: { channel(n: string): { subscribed: boolean } } }
          ).pressRelay.channel(name).subscribed,
        channel,
      ))
        ? true
        : undefined,
    );
    const seen = async () =>
      page.evaluate(() =>
        (window as unknown as { seen: Array<[string, string]> }).seen.map(([value]) => value),
      );
    const publish = async (value: string) =>
      assert.equal(await adminRest(`/wp/v2/posts/${ctx.concertId}`, { meta: { seats_left: value } }), 200);

    await publish('push-1');
    await waitFor('push-1 over WebSocket', async () =>
      (await seen()).includes('push-1') ? true : undefined,
    );
    const pollsWhileUp = traffic.polls.length;

    // The realtime server goes away.
    await server.stop();
    const stoppedAt = Date.now();
    await publish('poll-2');
    await publish('poll-3');
    await waitFor(
      'poll-2 and poll-3 by polling',
      async () => ((await seen()).includes('poll-3') ? true : undefined),
      40_000,
    );
    t.diagnostic(`events reached the page by polling ${Date.now() - stoppedAt} ms after the server stopped`);
    assert.deepEqual(await state(), { transport: null, polling: true });
    assert.equal(pollsWhileUp, 0, 'no polls while the server was up');
    const unsent = await outbox();
    assert.ok((unsent.retry ?? 0) >= 2, `the flush could not reach the server: ${JSON.stringify(unsent)}`);

    // The server returns (same port, new process: its history is gone).
    ctx.server = await startServer({ port: server.port });
    const backAt = Date.now();
    await waitFor(
      'the page back on WebSocket, polling stopped',
      async () => {
        const now = await state();
        return now.transport === 'ws' && now.polling === false ? true : undefined;
      },
      45_000,
    );
    t.diagnostic(`back on WebSocket ${Date.now() - backAt} ms after the server returned`);
    const failures = await page.evaluate(() => (window as unknown as { failures: unknown[] }).failures);
    assert.deepEqual(
      failures,
      [
        {
          reason: 'epoch_changed',
          position: (failures[0] as { position: string } | undefined)?.position,
          wordpress: true,
        },
      ],
      'the restarted server lost its history, and polling had delivered every WordPress event meanwhile',
    );

    // WP-Cron now sends the rows that failed while the server was down (run here as WP-Cron runs it, without
    // waiting for their backoff): the page gets them again over the WebSocket, with the same WordPress
    // positions as ids, and drops them.
    await ctx.site.php(
      'global $wpdb; $wpdb->query( "UPDATE {$wpdb->prefix}pressrelay_outbox SET next_attempt_at = UTC_TIMESTAMP() - INTERVAL 1 SECOND WHERE status = \'retry\'" ); PressRelay\\Plugin::instance()->runner()->run_from_cron();',
    );
    await waitFor('the late copies over WebSocket', async () =>
      traffic.frames.some((frame) => frame.includes('poll-3')) ? true : undefined,
    );
    await publish('push-4');
    await waitFor('push-4 over WebSocket', async () =>
      (await seen()).includes('push-4') ? true : undefined,
    );
    await sleep(500);
    assert.deepEqual(await seen(), ['push-1', 'poll-2', 'poll-3', 'push-4'], 'every event once, in order');
    const ids = await page.evaluate(() =>
      (window as unknown as { seen: Array<[string, string]> }).seen.map(([, id]) => id),
    );
    const serials = ids.map((id) => Number(id.split(':')[1]));
    assert.ok(
      serials.every((serial, i) => i === 0 || serial > serials[i - 1]!),
      `WordPress positions in order: ${ids}`,
    );
    assert.ok(
      traffic.frames.filter((frame) => frame.includes('"poll-2"') || frame.includes('poll-2')).length >= 1,
      'poll-2 also came over the WebSocket (and was dropped as a duplicate)',
    );
    assert.deepEqual(await state(), { transport: 'ws', polling: false });
    const left = await outbox();
    assert.equal((left.pending ?? 0) + (left.retry ?? 0) + (left.failed ?? 0), 0, JSON.stringify(left));
    await page.close();
  });
});

/** Serves one HTML document (a page cache's copy) on a free port. */
async function serveOnce(html: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(html);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/cached-page`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
