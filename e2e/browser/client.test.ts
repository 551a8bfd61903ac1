/**
 * The IIFE bundle in headless Chromium against the real server: a page with a cached baseline updates live;
 * text only; elements added later are bound; after the network drops and returns no event is missed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  publisher,
  type ServerHandle,
  startProxy,
  startServer,
  type TcpProxy,
} from '../../packages/client/test/helpers.js';
import { buildBundle, launchChromium, type StaticSite, seatsPage, startSite } from './helpers.js';

let server: ServerHandle;
let proxy: TcpProxy;
let site: StaticSite;
let browser: Browser | null = null;

before(async () => {
  const bundle = buildBundle();
  server = await startServer();
  proxy = await startProxy(server.port);
  site = await startSite(bundle);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await site?.close();
  await proxy?.close();
  await server?.stop();
});

const WAIT = { timeout: 15_000 };

async function open(t: { skip(message: string): void }, config: Record<string, unknown>, path: string) {
  if (!browser) {
    t.skip('Chromium is not installed at /usr/bin/chromium (CI=true makes this a failure)');
    return null;
  }
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(site.page(path, seatsPage(config)), WAIT);
  return { context, page };
}

async function subscribedTo(page: Page, channel: string) {
  await page.waitForFunction((name) => window.pressRelay?.channel(name)?.subscribed === true, channel, WAIT);
}

async function seats(page: Page) {
  return page.textContent('#seats');
}

function publishSeats(from: number, to: number, channel = 'seats-A12') {
  const pusher = publisher(server);
  return (async () => {
    for (let seq = from; seq <= to; seq++) {
      await pusher.trigger(channel, 'seats-changed', { seats_left: 100 - seq, seq });
    }
  })();
}

describe('browser (IIFE bundle in Chromium)', () => {
  test('the cached baseline shows until a live event overwrites it; text only; later elements are bound', async (t) => {
    const opened = await open(t, { key: server.app.key, url: server.url }, '/live');
    if (!opened) return;
    const { context, page } = opened;
    try {
      assert.equal(await seats(page), '12', 'the baseline from the cached HTML');
      await subscribedTo(page, 'seats-A12');
      assert.equal(await seats(page), '12', 'still the baseline: nothing was published');
      assert.equal(await page.evaluate(() => window.pressRelay!.connection.transport), 'ws');

      await publishSeats(1, 1);
      await page.waitForFunction(
        () => document.getElementById('seats')!.textContent === '99',
        undefined,
        WAIT,
      );

      const pusher = publisher(server);
      const hostile = '<img src="x" onerror="window.pwned = true">';
      await pusher.trigger('seats-A12', 'seats-changed', { seats_left: hostile, seq: 2 });
      await page.waitForFunction(
        (text) => document.getElementById('seats')!.textContent === text,
        hostile,
        WAIT,
      );
      assert.equal(
        await page.evaluate(() => document.querySelectorAll('#seats *').length),
        0,
        'no element from the wire',
      );
      assert.equal(await page.evaluate(() => (window as { pwned?: boolean }).pwned), undefined);

      // Elements added after load: one on a new channel (whole data, no field), one more on the first channel.
      await page.evaluate(() => {
        const later = document.getElementById('later')!;
        later.innerHTML =
          '<span id="b7" data-pressrelay-channel="seats-B7" data-pressrelay-event="seats-changed">5</span>' +
          '<b id="a12-again" data-pressrelay-channel="seats-A12" data-pressrelay-event="seats-changed" data-pressrelay-field="seats_left">?</b>';
      });
      await subscribedTo(page, 'seats-B7');
      await pusher.trigger('seats-B7', 'seats-changed', '4');
      await page.waitForFunction(() => document.getElementById('b7')!.textContent === '4', undefined, WAIT);
      await publishSeats(3, 3);
      await page.waitForFunction(
        () => document.getElementById('a12-again')!.textContent === '97',
        undefined,
        WAIT,
      );
      assert.equal(await seats(page), '97');
      assert.deepEqual(await page.evaluate(() => window.seen), [1, 2, 3]);
    } finally {
      await context.close();
    }
  });

  test('after the network drops and returns, no event is missed and none is repeated', async (t) => {
    const config = { key: server.app.key, url: proxy.url, reconnect: { baseMs: 200, maxMs: 2000 } };
    const opened = await open(t, config, '/drop');
    if (!opened) return;
    const { context, page } = opened;
    try {
      await subscribedTo(page, 'seats-A12');
      await publishSeats(1, 3);
      await page.waitForFunction(() => window.seen.length === 3, undefined, WAIT);
      const statesBefore = (await page.evaluate(() => window.states)).length;
      await dropNetwork(context, proxy, page);
      await publishSeats(4, 10); // published while the page is offline
      await new Promise((resume) => setTimeout(resume, 1000)); // a few failed reconnect attempts
      await restoreNetwork(context, proxy);
      const racing = publishSeats(11, 15); // published while it reconnects and resumes
      await page.waitForFunction(() => window.pressRelay!.connection.state === 'connected', undefined, WAIT);
      await racing;
      await page.waitForFunction(() => window.seen.length >= 15, undefined, WAIT);
      await new Promise((resume) => setTimeout(resume, 300)); // a duplicate would arrive right behind
      assert.deepEqual(
        await page.evaluate(() => window.seen),
        Array.from({ length: 15 }, (_, index) => index + 1),
      );
      assert.equal(await seats(page), '85');
      const states = (await page.evaluate(() => window.states)).slice(statesBefore);
      assert.equal(states[0], 'connecting', `the drop was noticed: ${states}`);
      assert.equal(states.at(-1), 'connected');
    } finally {
      await context.close();
    }
  });

  test('with WebSocket blocked the page falls back to SSE, still updates, survives a drop, then returns to WebSocket', async (t) => {
    const config = {
      key: server.app.key,
      url: proxy.url,
      reconnect: { baseMs: 200, maxMs: 2000 },
      wsRetryMs: 1000,
    };
    if (!browser)
      return t.skip('Chromium is not installed at /usr/bin/chromium (CI=true makes this a failure)');
    const context = await browser.newContext();
    let blockWebSocket = true;
    // A proxy that refuses WebSockets: the socket opens to the route and is closed before any handshake.
    await context.routeWebSocket(/\/app\//, (socket) => {
      if (blockWebSocket) socket.close({ code: 1008, reason: 'blocked by policy' });
      else socket.connectToServer();
    });
    const page = await context.newPage();
    try {
      await page.goto(site.page('/fallback', seatsPage(config)), WAIT);
      assert.equal(await seats(page), '12');
      await subscribedTo(page, 'seats-A12');
      assert.equal(await page.evaluate(() => window.pressRelay!.connection.transport), 'sse');
      await publishSeats(1, 3);
      await page.waitForFunction(
        () => document.getElementById('seats')!.textContent === '97',
        undefined,
        WAIT,
      );

      await dropNetwork(context, proxy, page);
      await publishSeats(4, 8);
      await new Promise((resume) => setTimeout(resume, 1000));
      await restoreNetwork(context, proxy);
      await page.waitForFunction(() => window.seen.length >= 8, undefined, WAIT);
      assert.equal(await page.evaluate(() => window.pressRelay!.connection.transport), 'sse');
      assert.equal(await seats(page), '92');

      // WebSocket works again: the background retry switches over, events keep flowing exactly once.
      blockWebSocket = false;
      let seq = 8;
      while ((await page.evaluate(() => window.pressRelay!.connection.transport)) !== 'ws') {
        assert.ok(seq < 200, 'the client should switch back to WebSocket');
        seq++;
        await publishSeats(seq, seq);
        await new Promise((resume) => setTimeout(resume, 50));
      }
      await publishSeats(seq + 1, seq + 3);
      const total = seq + 3;
      await page.waitForFunction((count) => window.seen.length >= count, total, WAIT);
      await new Promise((resume) => setTimeout(resume, 300));
      assert.deepEqual(
        await page.evaluate(() => window.seen),
        Array.from({ length: total }, (_, index) => index + 1),
      );
      assert.equal(await seats(page), String(100 - total));
      // Connected on SSE, again on SSE after the drop, then switched to WebSocket.
      assert.deepEqual(await page.evaluate(() => window.transports), ['sse', 'sse', 'ws']);
    } finally {
      await context.close();
    }
  });

  test('with WebSocket and SSE blocked the page falls back to long-polling and still updates', async (t) => {
    if (!browser)
      return t.skip('Chromium is not installed at /usr/bin/chromium (CI=true makes this a failure)');
    const context = await browser.newContext();
    await context.routeWebSocket(/\/app\//, (socket) =>
      socket.close({ code: 1008, reason: 'blocked by policy' }),
    );
    await context.route(/\/app\/[^/]+\/sse/, (route) => route.abort('blockedbyclient'));
    const page = await context.newPage();
    try {
      await page.goto(site.page('/poll', seatsPage({ key: server.app.key, url: proxy.url })), WAIT);
      await subscribedTo(page, 'seats-A12');
      assert.equal(await page.evaluate(() => window.pressRelay!.connection.transport), 'poll');
      await publishSeats(1, 5);
      await page.waitForFunction(
        () => document.getElementById('seats')!.textContent === '95',
        undefined,
        WAIT,
      );
      assert.deepEqual(await page.evaluate(() => window.seen), [1, 2, 3, 4, 5]);
    } finally {
      await context.close();
    }
  });
});

/**
 * The network goes away: the browser is offline (new requests fail, `offline` fires) and every open connection
 * is cut (Chromium's offline emulation leaves open sockets alone; a real outage does not).
 */
export async function dropNetwork(context: BrowserContext, tcp: TcpProxy, page: Page): Promise<void> {
  await context.setOffline(true);
  tcp.refuse(true);
  tcp.drop();
  await page.waitForFunction(() => window.pressRelay!.connection.state !== 'connected', undefined, WAIT);
}

export async function restoreNetwork(context: BrowserContext, tcp: TcpProxy): Promise<void> {
  tcp.refuse(false);
  await context.setOffline(false);
}

declare global {
  interface Window {
    pressRelay?: import('../../packages/client/src/index.js').Client;
    seen: number[];
    states: string[];
    transports: string[];
  }
}
