/**
 * The WordPress polling fallback against the real PressRelay server: a stand-in for the plugin's events route
 * (an in-memory log that answers as the route does) and a publisher that, like the plugin, logs every event and
 * sends it to the server with its WordPress position as `id`. The network to the server is cut (TCP proxy): the
 * client polls; when the network returns it resumes on the server, whose recovery replays what WordPress already
 * delivered, and every event arrives exactly once, in order.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import type Pusher from 'pusher';
import {
  Clients,
  publisher,
  type ServerHandle,
  startProxy,
  startServer,
  type TcpProxy,
  waitFor,
} from './helpers.js';

interface Logged {
  event: string;
  channel: string;
  data: string;
  id: string;
}

/** The plugin's events route, reduced to what the client relies on: positions, events after them, ETag/304. */
async function startWordPressStandIn(): Promise<{
  url: string;
  log: Logged[];
  polls: string[];
  close(): Promise<void>;
}> {
  const log: Logged[] = [];
  const polls: string[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://wp.test');
    polls.push(url.search);
    const channels: Record<string, unknown> = {};
    for (const item of url.searchParams.getAll('c[]')) {
      const [name = '', epoch, serial] = item.split(':');
      const events = log.filter((e) => e.channel === name);
      const from = epoch === 'W' ? Number(serial) : events.length;
      channels[name] = {
        position: `W:${events.length}`,
        events: events.slice(from),
        ...(epoch === undefined ? {} : { recovered: true, more: false }),
      };
    }
    const body = JSON.stringify({ epoch: 'W', channels });
    const etag = `"${log.length}:${url.searchParams.getAll('c[]').join(',')}"`;
    if (request.headers['if-none-match'] === etag && body.includes('"events":[]')) {
      response.writeHead(304, { ETag: etag }).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': 'application/json', ETag: etag }).end(body);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/?rest_route=/pressrelay/v1/events`,
    log,
    polls,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

let server: ServerHandle;
let proxy: TcpProxy;
let wordpress: Awaited<ReturnType<typeof startWordPressStandIn>>;
let api: Pusher;
const clients = new Clients();

before(async () => {
  server = await startServer();
  proxy = await startProxy(server.port);
  wordpress = await startWordPressStandIn();
  api = publisher(server);
});

after(async () => {
  clients.stopAll();
  await proxy?.close();
  await wordpress?.close();
  await server?.stop();
});

/** Publishes as the plugin does: log the event, then send it to the server with its WordPress position as id. */
async function publish(channel: string, n: number): Promise<void> {
  const serial = wordpress.log.filter((e) => e.channel === channel).length + 1;
  const event: Logged = { event: 'tick', channel, data: JSON.stringify({ n }), id: `W:${serial}` };
  wordpress.log.push(event);
  // The SDK has no `id` option; its post() signs and JSON-encodes any body (its typings say string).
  const body = { name: event.event, data: event.data, channels: [channel], id: event.id };
  const response = await api.post({ path: '/events', body: body as unknown as string });
  assert.equal(response.status, 200);
}

test('network to the server cut: the page polls WordPress, then resumes on the server, every event once, in order', async () => {
  const client = clients.create({
    key: server.app.key,
    url: proxy.url,
    transports: ['ws'],
    unavailableTimeoutMs: 300,
    wordpress: { eventsUrl: wordpress.url, mode: 'push-with-polling-fallback', intervalMs: 100 },
  });
  const channel = client.subscribe('scores');
  const seen: number[] = [];
  const ids: string[] = [];
  const failures: unknown[] = [];
  channel.bind('tick', (data: { n: number }, meta) => {
    seen.push(data.n);
    ids.push(meta.id ?? '');
  });
  channel.bind('recovery_failed', (failure) => failures.push(failure));
  await waitFor(() => channel.subscribed, 'subscribed on the server');
  for (let n = 1; n <= 3; n++) await publish('scores', n);
  await waitFor(() => seen.length === 3, 'three events over WebSocket');
  assert.equal(wordpress.polls.length, 0, 'no polls while the server is reachable');

  proxy.refuse(true);
  proxy.drop();
  // Published while this page cannot reach the server: they reach the server (and its history) and WordPress.
  for (let n = 4; n <= 6; n++) await publish('scores', n);
  await waitFor(() => seen.length === 6, 'events 4–6 by polling', 10_000);
  assert.ok(client.polling);
  assert.ok(wordpress.polls.some((query) => decodeURIComponent(query).includes('c[]=scores:W:3')));

  proxy.refuse(false);
  await waitFor(
    () => client.connection.transport === 'ws' && !client.wordpress?.active,
    'back on WebSocket',
    15_000,
  );
  // The server's recovery replayed 4–6 (ids W:4–W:6): dropped. New events come over the socket.
  for (let n = 7; n <= 8; n++) await publish('scores', n);
  await waitFor(() => seen.length >= 8, 'events 7 and 8');
  await new Promise((resume) => setTimeout(resume, 300));
  assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(
    ids,
    Array.from({ length: 8 }, (_, i) => `W:${i + 1}`),
  );
  assert.deepEqual(failures, [], 'the server recovered its gap: nothing to refetch');
  const polls = wordpress.polls.length;
  await new Promise((resume) => setTimeout(resume, 400));
  assert.equal(wordpress.polls.length, polls, 'polling stopped');
});
