/**
 * The client over its HTTP transports against the real server: SSE and long-poll each on their own (delivery,
 * upstream subscribe with auth, client events, resume across drops, recovery_failed), then the fallback chain:
 * WebSocket blocked → SSE → long-poll, the background switch back to WebSocket, and resuming across transports.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EventSource } from 'eventsource';
import type Pusher from 'pusher';
import type { Channel, Client, ClientConfig } from '../src/index.js';
import {
  type AuthServer,
  Clients,
  publisher,
  type ServerHandle,
  startAuthServer,
  startProxy,
  startServer,
  subscribed,
  type TcpProxy,
  waitFor,
} from './helpers.js';

let server: ServerHandle;
let proxy: TcpProxy;
let auth: AuthServer;
let pusher: Pusher;
const clients = new Clients();

const BLOCK_WS = /^GET [^\r\n]*\r\n(?:[^\r\n]+\r\n)*upgrade: websocket/i;
const BLOCK_WS_AND_SSE = /^GET [^ ]*\/sse\?|^GET [^\r\n]*\r\n(?:[^\r\n]+\r\n)*upgrade: websocket/i;

before(async () => {
  server = await startServer({ env: { PRESSRELAY_ENABLE_CLIENT_MESSAGES: 'true' } });
  proxy = await startProxy(server.port);
  auth = await startAuthServer(publisher(server));
  pusher = publisher(server);
});

after(async () => {
  clients.stopAll();
  await proxy?.close();
  await auth?.close();
  await server?.stop();
});

function create(config: Partial<ClientConfig>, user = 'u'): Client {
  return clients.create({
    key: server.app.key,
    url: proxy.url,
    EventSource,
    authEndpoint: `${auth.url}/auth`,
    auth: { headers: { 'X-WP-Nonce': 'good-nonce' }, params: { user } },
    connectTimeoutMs: 3000,
    ...config,
  });
}

/** Records `n` of every `tick` event on the channel. */
function ticks(channel: Channel): number[] {
  const received: number[] = [];
  channel.bind('tick', (data) => received.push((data as { n: number }).n));
  return received;
}

/** Publishes `tick` events with consecutive `n` on the given channels. */
function ticker(channels: string[]) {
  let next = 1;
  return {
    get published() {
      return next - 1;
    },
    async publish(count: number) {
      for (let index = 0; index < count; index++) await pusher.trigger(channels, 'tick', { n: next++ });
    },
  };
}

function sequence(count: number): number[] {
  return Array.from({ length: count }, (_, index) => index + 1);
}

async function settle(): Promise<void> {
  await new Promise((resume) => setTimeout(resume, 250)); // a duplicate would arrive right behind
}

for (const transport of ['sse', 'poll'] as const) {
  describe(`${transport} transport`, () => {
    test('receives URL and upstream channels, authenticates private ones, carries client events', async () => {
      const alice = create({ transports: [transport] }, 'alice');
      const bob = create({ transports: [transport] }, 'bob');
      const news = alice.subscribe(`news-${transport}`); // subscribed before connecting: goes into the URL
      const headlines: unknown[] = [];
      news.bind('headline', (data) => headlines.push(data));
      const roomA = alice.subscribe(`private-room-${transport}`);
      const roomB = bob.subscribe(`private-room-${transport}`);
      await Promise.all([subscribed(news), subscribed(roomA), subscribed(roomB)]);
      assert.equal(alice.connection.transport, transport);
      assert.equal(bob.connection.transport, transport);

      await pusher.trigger(`news-${transport}`, 'headline', { title: 'Hi' });
      await waitFor(() => headlines.length === 1, 'the headline');
      assert.deepEqual(headlines, [{ title: 'Hi' }]);

      const late = alice.subscribe(`late-${transport}`); // subscribed while connected: goes upstream
      const lateEvents: unknown[] = [];
      late.bind('ev', (data) => lateEvents.push(data));
      await subscribed(late);
      await pusher.trigger(`late-${transport}`, 'ev', 'x');
      await waitFor(() => lateEvents.length === 1, 'the late channel event');

      const typing: Array<{ data: unknown }> = [];
      roomB.bind('client-typing', (data) => typing.push({ data }));
      assert.equal(roomA.trigger('client-typing', { on: true }), true);
      await waitFor(() => typing.length === 1, 'the client event');
      assert.deepEqual(typing, [{ data: { on: true } }]);

      alice.unsubscribe(`news-${transport}`);
      const occupied = async () =>
        ((await (await pusher.get({ path: `/channels/news-${transport}` })).json()) as { occupied: boolean })
          .occupied;
      for (let tries = 0; tries < 100 && (await occupied()); tries++) await settle();
      assert.equal(await occupied(), false);
    });

    test('resumes URL and upstream channels after drops: every event once, in order', async () => {
      const client = create({ transports: [transport] });
      const open = client.subscribe(`ticks-${transport}`);
      const closed = client.subscribe(`private-ticks-${transport}`);
      const failures: unknown[] = [];
      for (const channel of [open, closed])
        channel.bind('recovery_failed', (failure) => failures.push(failure));
      const fromOpen = ticks(open);
      const fromClosed = ticks(closed);
      await Promise.all([subscribed(open), subscribed(closed)]);
      const source = ticker([`ticks-${transport}`, `private-ticks-${transport}`]);
      await source.publish(3);
      for (let drop = 0; drop < 3; drop++) {
        proxy.refuse(true);
        proxy.drop();
        await waitFor(() => client.connection.state !== 'connected', 'the client to notice the drop');
        await source.publish(5);
        proxy.refuse(false);
        const racing = source.publish(5);
        await waitFor(() => client.connection.state === 'connected', 'reconnection');
        await racing;
      }
      await source.publish(3);
      await waitFor(
        () => fromOpen.length >= source.published && fromClosed.length >= source.published,
        'every event on both channels',
      );
      await settle();
      assert.deepEqual(fromOpen, sequence(source.published));
      assert.deepEqual(fromClosed, sequence(source.published));
      assert.deepEqual(failures, []);
      assert.equal(client.connection.transport, transport);
    });

    test('raises recovery_failed after a server restart', async () => {
      const own = await startServer();
      const ownProxy = await startProxy(own.port);
      let restarted: ServerHandle | null = null;
      try {
        const client = clients.create({
          key: own.app.key,
          url: ownProxy.url,
          EventSource,
          transports: [transport],
        });
        const channel = client.subscribe('restart');
        const failures: Array<{ reason: string }> = [];
        channel.bind('recovery_failed', (failure) => failures.push(failure as { reason: string }));
        const received = ticks(channel);
        await subscribed(channel);
        await publisher(own).trigger('restart', 'tick', { n: 1 });
        await waitFor(() => received.length === 1, 'the first event');
        ownProxy.refuse(true);
        ownProxy.drop();
        await own.stop();
        restarted = await startServer();
        ownProxy.retarget(restarted.port);
        ownProxy.refuse(false);
        await waitFor(() => failures.length === 1, 'recovery_failed');
        assert.equal(failures[0]!.reason, 'epoch_changed');
        await publisher(restarted).trigger('restart', 'tick', { n: 2 });
        await waitFor(() => received.length === 2, 'the live event after the restart');
        assert.deepEqual(received, [1, 2]);
      } finally {
        await ownProxy.close();
        await restarted?.stop();
        await own.stop();
      }
    });
  });
}

describe('fallback', () => {
  test('WebSocket blocked → SSE; once WebSocket works again it switches back without loss or repeat', async () => {
    proxy.block(BLOCK_WS);
    try {
      const client = create({ wsRetryMs: 300 });
      const changes: unknown[] = [];
      client.connection.bind('transport_change', (change) => changes.push(change));
      const open = client.subscribe('fallback-1');
      const closed = client.subscribe('private-fallback-1');
      const fromOpen = ticks(open);
      const fromClosed = ticks(closed);
      await Promise.all([subscribed(open), subscribed(closed)]);
      assert.equal(client.connection.transport, 'sse');
      const source = ticker(['fallback-1', 'private-fallback-1']);
      await source.publish(5);
      await waitFor(() => fromOpen.length === 5 && fromClosed.length === 5, 'events over SSE');

      proxy.block(null);
      const during = (async () => {
        while (client.connection.transport !== 'ws') await source.publish(1);
        await source.publish(5);
      })();
      await waitFor(() => client.connection.transport === 'ws', 'the switch back to WebSocket');
      await during;
      await waitFor(
        () => fromOpen.length >= source.published && fromClosed.length >= source.published,
        'every event',
      );
      await settle();
      assert.deepEqual(fromOpen, sequence(source.published));
      assert.deepEqual(fromClosed, sequence(source.published));
      assert.deepEqual(changes, [{ previous: 'sse', current: 'ws' }]);
      assert.equal(client.connection.state, 'connected');
    } finally {
      proxy.block(null);
    }
  });

  test('WebSocket and SSE blocked → long-poll, still exactly once', async () => {
    proxy.block(BLOCK_WS_AND_SSE);
    try {
      const client = create({ wsRetryMs: 60_000 });
      const channel = client.subscribe('fallback-2');
      const received = ticks(channel);
      await subscribed(channel);
      assert.equal(client.connection.transport, 'poll');
      const source = ticker(['fallback-2']);
      await source.publish(5);
      proxy.drop();
      await source.publish(5);
      await waitFor(() => received.length >= 10, 'every event');
      await settle();
      assert.deepEqual(received, sequence(10));
      assert.equal(client.connection.transport, 'poll');
    } finally {
      proxy.block(null);
    }
  });

  test('a WebSocket drop resumes over SSE when WebSocket stays blocked (last_event_id), exactly once', async () => {
    const client = create({ wsRetryMs: 60_000 });
    const open = client.subscribe('cross-1');
    const closed = client.subscribe('private-cross-1');
    const fromOpen = ticks(open);
    const fromClosed = ticks(closed);
    await Promise.all([subscribed(open), subscribed(closed)]);
    assert.equal(client.connection.transport, 'ws');
    const source = ticker(['cross-1', 'private-cross-1']);
    await source.publish(5);
    await waitFor(() => fromOpen.length === 5, 'events over WebSocket');
    proxy.block(BLOCK_WS);
    try {
      proxy.drop();
      await source.publish(5);
      await waitFor(() => client.connection.transport === 'sse', 'the fallback to SSE');
      await source.publish(5);
      await waitFor(
        () => fromOpen.length >= source.published && fromClosed.length >= source.published,
        'every event',
      );
      await settle();
      assert.deepEqual(fromOpen, sequence(source.published));
      assert.deepEqual(fromClosed, sequence(source.published));
    } finally {
      proxy.block(null);
    }
  });
});
