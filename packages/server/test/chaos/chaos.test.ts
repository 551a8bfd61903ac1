/**
 * `npm run test:chaos`: at least 2,000 events published to several channels while subscribers on every transport
 * are dropped at random moments, by the network (a proxy cutting connections, refusing new ones, black-holing
 * them, blocking WebSockets) and by the clients themselves (disconnect and reconnect). Every PressRelay-client
 * and SSE subscriber must end with exactly the published sequence on every channel: in order, no loss, no
 * duplicate. pusher-js subscribers (WebSocket, xhr_streaming, xhr_polling) have no recovery; they must only never
 * see an event twice or out of order.
 *
 * Reproducible: the random choices come from a seeded generator; set CHAOS_SEED to replay a run.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EventSource } from 'eventsource';
import type { Client, TransportName } from '../../../client/src/index.js';
import {
  type AuthServer,
  Clients,
  publisher,
  startAuthServer,
  subscribed,
  waitFor,
} from '../../../client/test/helpers.js';
import { type ServerHandle, startServer } from '../harness.js';
import { Pusher } from '../support/pusher-js.js';
import { startProxy, type TcpProxy } from '../support/tcp-proxy.js';

const PUBLIC_CHANNELS = ['chaos-a', 'chaos-b', 'chaos-c'];
const CHANNELS = [...PUBLIC_CHANNELS, 'private-chaos'];
const EVENTS_PER_CHANNEL = Number(process.env.CHAOS_EVENTS_PER_CHANNEL ?? 500);
const BATCH = 10;
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with CHAOS_SEED. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = seeded(SEED);
const sleep = (ms: number) => new Promise((resume) => setTimeout(resume, ms));

interface Subscriber {
  name: string;
  /** Per channel, the `n` of every event received, in arrival order. */
  received: Map<string, number[]>;
  /** Must end with exactly 1..N on every channel (PressRelay client, SSE), or only never repeat (pusher-js). */
  exact: boolean;
  /** Notices a silently dead connection by itself (heartbeat watchdog), without waiting for TCP to reset it. */
  watchdog: boolean;
  recoveryFailures: unknown[];
  /** Resolves once every channel is subscribed. */
  ready: Promise<unknown>;
  /** A drop caused by the client itself. */
  clientDrop(): Promise<void>;
  stop(): void;
}

function newReceived(channels: string[]): Map<string, number[]> {
  return new Map(channels.map((channel) => [channel, []]));
}

let server: ServerHandle;
let proxy: TcpProxy;
let auth: AuthServer;
const clients = new Clients();
const subscribers: Subscriber[] = [];

before(async () => {
  server = await startServer({
    config: {
      apps: [
        {
          id: 'chaos',
          key: 'chaos-key',
          secret: 'chaos-secret',
          history: { maxEvents: EVENTS_PER_CHANNEL + 100, maxAgeSeconds: 600 },
          limits: { maxBatchSize: BATCH },
        },
      ],
    },
  });
  proxy = await startProxy(server.port);
  auth = await startAuthServer(publisher(server));
});

after(async () => {
  for (const subscriber of subscribers) subscriber.stop();
  clients.stopAll();
  await proxy?.close();
  await auth?.close();
  await server?.stop();
});

function pressRelaySubscriber(transports: TransportName[] | undefined, index: number): Subscriber {
  const client: Client = clients.create({
    key: server.app.key,
    url: proxy.url,
    EventSource,
    authEndpoint: `${auth.url}/auth`,
    auth: { headers: { 'X-WP-Nonce': 'good-nonce' } },
    connectTimeoutMs: 2000,
    activityTimeoutMs: 1000,
    pongTimeoutMs: 1000,
    wsRetryMs: 500,
    ...(transports ? { transports } : {}),
  });
  const received = newReceived(CHANNELS);
  const recoveryFailures: unknown[] = [];
  const ready = CHANNELS.map((name) => {
    const channel = client.subscribe(name);
    channel.bind('tick', (data) => received.get(name)!.push((data as { n: number }).n));
    channel.bind('recovery_failed', (failure) => recoveryFailures.push(failure));
    return subscribed(channel);
  });
  return {
    name: `PressRelay client ${index} (${transports?.join() ?? 'auto'})`,
    received,
    exact: true,
    watchdog: true,
    recoveryFailures,
    ready: Promise.all(ready),
    async clientDrop() {
      client.disconnect();
      await sleep(random() * 300);
      client.connect();
    },
    stop: () => client.disconnect(),
  };
}

/** A bare EventSource: the browser's own reconnect with Last-Event-ID, and client-side reopen with last_event_id. */
function sseSubscriber(index: number): Subscriber {
  const received = newReceived(PUBLIC_CHANNELS);
  const query = PUBLIC_CHANNELS.map((channel) => `channel=${channel}`).join('&');
  let lastEventId = '';
  let source: EventSource;
  let subscriptions = 0;
  const ready = waitFor(() => subscriptions >= PUBLIC_CHANNELS.length, 'the SSE subscriptions');
  const open = () => {
    const resume = lastEventId ? `&last_event_id=${encodeURIComponent(lastEventId)}` : '';
    source = new EventSource(`${proxy.url}/app/${server.app.key}/sse?${query}${resume}`);
    source.addEventListener('tick', (message) => {
      lastEventId = message.lastEventId;
      const envelope = JSON.parse(message.data) as { channel: string; data: string };
      received.get(envelope.channel)!.push((JSON.parse(envelope.data) as { n: number }).n);
    });
    source.addEventListener('pusher_internal:subscription_succeeded', (message) => {
      lastEventId = message.lastEventId;
      subscriptions++;
    });
  };
  open();
  return {
    name: `bare EventSource ${index}`,
    received,
    exact: true,
    watchdog: false,
    recoveryFailures: [],
    ready,
    async clientDrop() {
      source.close();
      await sleep(random() * 300);
      open();
    },
    stop: () => source.close(),
  };
}

function pusherJsSubscriber(kind: 'ws' | 'xhr_streaming' | 'xhr_polling'): Subscriber {
  const pusher = new Pusher(server.app.key, {
    cluster: 'mt1',
    wsHost: '127.0.0.1',
    wsPort: proxy.port,
    httpHost: '127.0.0.1',
    httpPort: proxy.port,
    forceTLS: false,
    enabledTransports: [kind],
    channelAuthorization: {
      endpoint: `${auth.url}/auth`,
      transport: 'ajax',
      headers: { 'X-WP-Nonce': 'good-nonce' },
    },
  });
  const received = newReceived(CHANNELS);
  const ready = CHANNELS.map((name) => {
    const channel = pusher.subscribe(name);
    channel.bind('tick', (data: { n: number }) => received.get(name)!.push(data.n));
    return subscribed(channel);
  });
  return {
    name: `pusher-js ${kind}`,
    received,
    exact: false,
    watchdog: true,
    recoveryFailures: [],
    ready: Promise.all(ready),
    async clientDrop() {
      pusher.disconnect();
      await sleep(random() * 300);
      pusher.connect();
    },
    stop: () => pusher.disconnect(),
  };
}

async function chaosAction(actions: string[]): Promise<void> {
  const roll = random();
  if (roll < 0.3) {
    actions.push('cut one connection');
    proxy.dropRandom(random);
  } else if (roll < 0.45) {
    actions.push('cut every connection');
    proxy.drop();
  } else if (roll < 0.6) {
    actions.push('network down');
    proxy.refuse(true);
    proxy.drop();
    await sleep(100 + random() * 500);
    proxy.refuse(false);
  } else if (roll < 0.68) {
    actions.push('black hole');
    proxy.blackhole();
  } else if (roll < 0.75) {
    actions.push('block WebSockets');
    proxy.block(/upgrade: websocket/i);
    await sleep(300 + random() * 700);
    proxy.block(null);
  } else {
    const subscriber = subscribers[Math.floor(random() * subscribers.length)]!;
    actions.push(`client drop: ${subscriber.name}`);
    await subscriber.clientDrop();
  }
}

test(`chaos: ${EVENTS_PER_CHANNEL * CHANNELS.length} events on ${CHANNELS.length} channels, every transport dropped at random (seed ${SEED})`, async () => {
  const pressRelay: Array<TransportName[] | undefined> = [
    ['ws'],
    ['ws'],
    ['sse'],
    ['sse'],
    ['poll'],
    ['poll'],
    undefined,
    undefined,
  ];
  subscribers.push(...pressRelay.map((transports, index) => pressRelaySubscriber(transports, index)));
  subscribers.push(sseSubscriber(0), sseSubscriber(1));
  subscribers.push(
    pusherJsSubscriber('ws'),
    pusherJsSubscriber('xhr_streaming'),
    pusherJsSubscriber('xhr_polling'),
  );
  // Everyone is subscribed before the first event, so "exactly the published sequence" starts at 1 for all.
  await Promise.all(subscribers.map((subscriber) => subscriber.ready));

  const sdk = publisher(server);
  let chaos = true;
  const actions: string[] = [];
  const chaosLoop = (async () => {
    while (chaos) {
      await sleep(50 + random() * 250);
      if (chaos) await chaosAction(actions);
    }
  })();

  // Round-robin over channels: one batch carries the next event of several channels.
  const events: Array<{ channel: string; name: string; data: string }> = [];
  for (let n = 1; n <= EVENTS_PER_CHANNEL; n++) {
    for (const channel of CHANNELS) events.push({ channel, name: 'tick', data: JSON.stringify({ n }) });
  }
  for (let start = 0; start < events.length; start += BATCH) {
    const response = await sdk.triggerBatch(events.slice(start, start + BATCH));
    assert.equal(response.status, 200);
    await sleep(40);
  }
  chaos = false;
  await chaosLoop;
  proxy.refuse(false);
  proxy.block(null);

  const expected = Array.from({ length: EVENTS_PER_CHANNEL }, (_, index) => index + 1);
  const complete = (subscriber: Subscriber) =>
    [...subscriber.received.values()].every((list) => list.length >= EVENTS_PER_CHANNEL);
  const catchUp = (who: (subscriber: Subscriber) => boolean, what: string) =>
    waitFor(() => subscribers.filter((s) => s.exact && who(s)).every(complete), what, 60_000).catch(
      (error: Error) => {
        const status = subscribers.map(
          (s) => `${s.name}: ${[...s.received.values()].map((list) => list.length).join('/')}`,
        );
        throw new Error(
          `${error.message} (seed ${SEED})\n${status.join('\n')}\nchaos: ${actions.join(', ')}`,
        );
      },
    );
  // Connections still black-holed stay dead until TCP gives up on them. Clients with a heartbeat watchdog must
  // catch up without that; a bare EventSource has none, so it is given the reset TCP would eventually deliver.
  await catchUp((s) => s.watchdog, 'every PressRelay subscriber to catch up by itself');
  const reset = proxy.resetBlackholed();
  if (reset > 0) actions.push(`TCP resets ${reset} black-holed connection(s)`);
  await catchUp(() => true, 'every PressRelay and SSE subscriber to catch up');
  await sleep(500);

  const context = `seed ${SEED}; chaos: ${actions.join(', ')}`;
  for (const subscriber of subscribers) {
    for (const [channel, list] of subscriber.received) {
      if (subscriber.exact) {
        assert.deepEqual(list, expected, `${subscriber.name} on ${channel} (${context})`);
      } else {
        const inOrder = list.every((n, index) => index === 0 || n > list[index - 1]!);
        assert.ok(inOrder, `${subscriber.name} on ${channel}: no duplicate, in order (${context})`);
        assert.ok(list.length > 0, `${subscriber.name} on ${channel} received events`);
      }
    }
    assert.deepEqual(subscriber.recoveryFailures, [], `${subscriber.name}: no recovery failure (${context})`);
  }
  assert.ok(actions.length >= 15, `enough chaos happened: ${actions.length} actions`);
  assert.ok(
    actions.some((action) => action.startsWith('client drop')),
    'clients dropped themselves too',
  );
});
