/**
 * Webhooks as Pusher sends them, verified with the `pusher` SDK's `webhook().isValid()`: every event type, the
 * leave delay and its cancellation, filters per URL, batching, retries, and a slow or dead receiver that must not
 * slow real-time delivery.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  cleanup,
  connectedClient,
  nextEvent,
  RawClient,
  type ReceivedWebhook,
  type ServerHandle,
  sdkFor,
  sleep,
  startTestServer,
  subscribed,
  type TestApp,
  testApp,
  WebhookReceiver,
  waitFor,
} from './helpers.js';

const LEAVE_DELAY_MS = 400;

let server: ServerHandle;
let all: WebhookReceiver;
let filtered: WebhookReceiver;
let flaky: WebhookReceiver;
let slow: WebhookReceiver;
let hooks: TestApp;
let filterApp: TestApp;
let flakyApp: TestApp;
let slowApp: TestApp;

before(async () => {
  [all, filtered, flaky, slow] = await Promise.all([
    WebhookReceiver.start(),
    WebhookReceiver.start(),
    WebhookReceiver.start(),
    WebhookReceiver.start(),
  ]);
  hooks = testApp('hooks', {
    enableClientMessages: true,
    subscriptionCountEvents: true,
    webhooks: [{ url: all.url }],
  });
  filterApp = testApp('filter', {
    webhooks: [
      { url: filtered.url, eventTypes: ['member_added', 'member_removed'], channelPrefix: 'presence-' },
    ],
  });
  flakyApp = testApp('flaky', { webhooks: [{ url: flaky.url }] });
  slowApp = testApp('slow', {
    // A slow receiver, and one that is down (nothing listens on port 9 of 127.0.0.1).
    webhooks: [{ url: slow.url }, { url: 'http://127.0.0.1:9/down' }],
  });
  server = await startTestServer({
    config: { apps: [hooks, filterApp, flakyApp, slowApp] },
    env: { PRESSRELAY_WEBHOOK_LEAVE_DELAY_MS: String(LEAVE_DELAY_MS) },
  });
});
after(async () => {
  // Receivers first, so the server's shutdown does not wait for the slow one.
  await Promise.all([all, filtered, flaky, slow].map((receiver) => receiver?.stop()));
  await cleanup();
});

let unique = 0;
function fresh(prefix: string): string {
  unique++;
  return `${prefix}${unique}`;
}

/** Checks a delivery the way an app does: the SDK's own verification. */
function assertValid(request: ReceivedWebhook, app: TestApp) {
  assert.equal(request.headers['content-type'], 'application/json');
  assert.equal(request.headers['x-pusher-key'], app.key);
  // Spelled as Pusher spells them: the PHP SDK looks up $headers['X-Pusher-Key'] / ['X-Pusher-Signature'].
  for (const name of ['Content-Type', 'X-Pusher-Key', 'X-Pusher-Signature']) {
    assert.ok(request.rawHeaders.includes(name), `header ${name} as sent: ${request.rawHeaders.join(' ')}`);
  }
  const webhook = sdkFor(server, app).webhook({
    headers: request.headers as Record<string, string>,
    rawBody: request.rawBody,
  });
  assert.equal(webhook.isValid(), true, 'the SDK verifies the signature');
  assert.equal(typeof webhook.getData().time_ms, 'number');
  assert.ok(Math.abs(webhook.getTime().getTime() - Date.now()) < 60_000);
}

function eventsFor(receiver: WebhookReceiver, channel: string) {
  return receiver.events().filter(({ event }) => event.channel === channel);
}

describe('occupancy', () => {
  it('sends channel_occupied at once and channel_vacated after the leave delay, signed as Pusher signs', async () => {
    const name = fresh('room-');
    const pusher = await connectedClient(server, { app: hooks });
    await subscribed(pusher, name);
    const occupied = await all.waitForEvent((event) => event.channel === name, 'channel_occupied');
    assert.deepEqual(occupied.event, { name: 'channel_occupied', channel: name });
    assertValid(occupied.request, hooks);

    const left = Date.now();
    pusher.unsubscribe(name);
    const vacated = await all.waitForEvent(
      (event) => event.channel === name && event.name === 'channel_vacated',
      'channel_vacated',
    );
    assert.deepEqual(vacated.event, { name: 'channel_vacated', channel: name });
    assert.ok(vacated.request.receivedAt - left >= LEAVE_DELAY_MS - 50, 'waited out the leave delay');
    assertValid(vacated.request, hooks);
  });

  it('drops channel_vacated and the repeated channel_occupied when the client comes straight back', async () => {
    const name = fresh('reload-');
    const first = await connectedClient(server, { app: hooks });
    await subscribed(first, name);
    await all.waitForEvent((event) => event.channel === name, 'channel_occupied');
    first.disconnect();
    await sleep(50);
    const second = await connectedClient(server, { app: hooks });
    await subscribed(second, name);
    await sleep(LEAVE_DELAY_MS + 300);
    assert.deepEqual(
      eventsFor(all, name)
        .map(({ event }) => event.name)
        .filter((event) => event !== 'subscription_count'),
      ['channel_occupied'],
    );
  });
});

describe('presence', () => {
  it('sends member_added and, after the delay, member_removed with the user id', async () => {
    const name = fresh('presence-hooks-');
    const watcher = await connectedClient(server, { app: hooks, presence: { user_id: 'watcher' } });
    await subscribed(watcher, name);
    const member = await connectedClient(server, { app: hooks, presence: { user_id: 7 } });
    await subscribed(member, name);
    const added = await all.waitForEvent(
      (event) => event.channel === name && event.name === 'member_added' && event.user_id === 7,
      'member_added',
    );
    assert.deepEqual(added.event, { name: 'member_added', channel: name, user_id: 7 });
    member.disconnect();
    const removed = await all.waitForEvent(
      (event) => event.channel === name && event.name === 'member_removed',
      'member_removed',
    );
    assert.deepEqual(removed.event, { name: 'member_removed', channel: name, user_id: 7 });
    assertValid(removed.request, hooks);
  });

  it('drops member_removed and the repeated member_added on a quick reconnect (a page reload)', async () => {
    const name = fresh('presence-reload-');
    const watcher = await connectedClient(server, { app: hooks, presence: { user_id: 'w' } });
    await subscribed(watcher, name);
    const first = await connectedClient(server, { app: hooks, presence: { user_id: 'reloader' } });
    await subscribed(first, name);
    await all.waitForEvent((event) => event.channel === name && event.user_id === 'reloader', 'member_added');
    first.disconnect();
    await sleep(50);
    const second = await connectedClient(server, { app: hooks, presence: { user_id: 'reloader' } });
    await subscribed(second, name);
    await sleep(LEAVE_DELAY_MS + 300);
    assert.deepEqual(
      eventsFor(all, name)
        .filter(({ event }) => event.user_id === 'reloader')
        .map(({ event }) => event.name),
      ['member_added'],
    );
  });
});

describe('other event types', () => {
  it('sends client_event with the event, data, socket_id and, on presence channels, user_id', async () => {
    const name = fresh('presence-client-');
    const alice = await connectedClient(server, { app: hooks, presence: { user_id: 'alice' } });
    const bob = await connectedClient(server, { app: hooks, presence: { user_id: 'bob' } });
    const aliceChannel = await subscribed(alice, name);
    await subscribed(bob, name);
    aliceChannel.trigger('client-typing', { line: 4 });
    const { event, request } = await all.waitForEvent(
      (candidate) => candidate.channel === name && candidate.name === 'client_event',
      'client_event',
    );
    assert.deepEqual(event, {
      name: 'client_event',
      channel: name,
      event: 'client-typing',
      data: { line: 4 },
      socket_id: alice.connection.socket_id,
      user_id: 'alice',
    });
    assertValid(request, hooks);

    const privateName = fresh('private-client-');
    const carol = await connectedClient(server, { app: hooks });
    const carolChannel = await subscribed(carol, privateName);
    carolChannel.trigger('client-ping', {});
    const plain = await all.waitForEvent(
      (candidate) => candidate.channel === privateName && candidate.name === 'client_event',
      'client_event on a private channel',
    );
    assert.equal('user_id' in plain.event, false);
  });

  it('sends cache_miss when a cache channel has nothing to replay', async () => {
    const name = fresh('cache-hooks-');
    const pusher = await connectedClient(server, { app: hooks });
    await nextEvent(pusher.subscribe(name), 'pusher:cache_miss');
    const { event } = await all.waitForEvent(
      (candidate) => candidate.channel === name && candidate.name === 'cache_miss',
      'cache_miss',
    );
    assert.deepEqual(event, { name: 'cache_miss', channel: name });
  });

  it('sends subscription_count for apps that opt in', async () => {
    const name = fresh('counted-');
    const one = await connectedClient(server, { app: hooks });
    const two = await connectedClient(server, { app: hooks });
    await subscribed(one, name);
    await subscribed(two, name);
    const { event } = await all.waitForEvent(
      (candidate) =>
        candidate.channel === name &&
        candidate.name === 'subscription_count' &&
        candidate.subscription_count === 2,
      'subscription_count 2',
    );
    assert.deepEqual(event, { name: 'subscription_count', channel: name, subscription_count: 2 });
  });

  it('batches events that happen together into one request', async () => {
    const { client } = await RawClient.connect(server, { key: hooks.key });
    const names = [fresh('batch-'), fresh('batch-'), fresh('batch-')];
    for (const name of names) client.send({ event: 'pusher:subscribe', data: { channel: name } });
    await waitFor(() => names.every((name) => eventsFor(all, name).length > 0), 'three channel_occupied');
    const requests = new Set(names.map((name) => eventsFor(all, name)[0]!.request));
    assert.ok(requests.size < names.length, `three events in ${requests.size} requests`);
  });
});

describe('per-URL filters', () => {
  it('sends a URL only the event types and channel prefix it asked for', async () => {
    const presence = fresh('presence-filtered-');
    const plain = fresh('filtered-');
    const pusher = await connectedClient(server, { app: filterApp, presence: { user_id: 'f1' } });
    await subscribed(pusher, plain);
    await subscribed(pusher, presence);
    await filtered.waitForEvent(
      (event) => event.channel === presence && event.name === 'member_added',
      'member_added',
    );
    pusher.disconnect();
    await filtered.waitForEvent(
      (event) => event.channel === presence && event.name === 'member_removed',
      'member_removed',
    );
    await sleep(LEAVE_DELAY_MS);
    const names = filtered.events().map(({ event }) => `${event.name} ${event.channel}`);
    assert.deepEqual(names.sort(), [`member_added ${presence}`, `member_removed ${presence}`]);
    for (const request of filtered.received) assertValid(request, filterApp);
  });
});

describe('failing and slow receivers', () => {
  it('retries with back-off until the receiver accepts', async () => {
    flaky.status = 500;
    const name = fresh('retry-');
    const pusher = await connectedClient(server, { app: flakyApp });
    await subscribed(pusher, name);
    await waitFor(() => flaky.requests >= 1, 'a first (failed) attempt');
    flaky.status = 200;
    const { event, request } = await flaky.waitForEvent(
      (candidate) => candidate.channel === name,
      'the retried delivery',
      8_000,
    );
    assert.deepEqual(event, { name: 'channel_occupied', channel: name });
    assertValid(request, flakyApp);
    assert.ok(flaky.requests >= 2);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /pressrelay_webhook_failures_total\{reason="failed"\} [1-9]/);
  });

  it('never slows real-time delivery when a receiver is slow or down', async () => {
    slow.delayMs = 3_000;
    const name = fresh('presence-busy-');
    const clients = [];
    // Joins and leaves generate webhooks to the slow and the dead URL.
    for (let index = 0; index < 5; index++) {
      const pusher = await connectedClient(server, { app: slowApp, presence: { user_id: `busy-${index}` } });
      await subscribed(pusher, name);
      clients.push(pusher);
    }
    const channel = clients[0]!.channel(name);
    for (let round = 0; round < 5; round++) {
      const started = Date.now();
      const received = nextEvent(channel, 'tick');
      await sdkFor(server, slowApp).trigger(name, 'tick', { round });
      await received;
      assert.ok(Date.now() - started < 500, `round ${round} took ${Date.now() - started} ms`);
    }
    const health = await fetch(`${server.url}/health`);
    assert.equal(health.status, 200);
    slow.delayMs = 0;
  });
});
