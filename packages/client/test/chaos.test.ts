/**
 * Many clients on every transport while connections are cut, refused and black-holed at random and events keep
 * being published: every client must end with exactly the published sequence on every channel.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EventSource } from 'eventsource';
import type { TransportName } from '../src/index.js';
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
const clients = new Clients();

before(async () => {
  server = await startServer();
  proxy = await startProxy(server.port);
  auth = await startAuthServer(publisher(server));
});

after(async () => {
  clients.stopAll();
  await proxy?.close();
  await auth?.close();
  await server?.stop();
});

const EVENTS = 150;
const CHANNELS = ['chaos', 'private-chaos'];

test('random drops, refusals and dead connections on ws, sse, poll and auto clients: no loss, no duplicate', async () => {
  const setups: Array<TransportName[] | undefined> = [
    ['ws'],
    ['ws'],
    ['sse'],
    ['sse'],
    ['poll'],
    ['poll'],
    undefined,
    undefined,
  ];
  const subjects = setups.map((transports, index) => {
    const client = clients.create({
      key: server.app.key,
      url: proxy.url,
      EventSource,
      authEndpoint: `${auth.url}/auth`,
      auth: { headers: { 'X-WP-Nonce': 'good-nonce' } },
      connectTimeoutMs: 2000,
      activityTimeoutMs: 500,
      pongTimeoutMs: 500,
      wsRetryMs: 400,
      ...(transports ? { transports } : {}),
    });
    const received = new Map<string, number[]>();
    const failures: unknown[] = [];
    const channels = CHANNELS.map((name) => {
      const channel = client.subscribe(name);
      const list: number[] = [];
      received.set(name, list);
      channel.bind('tick', (data) => list.push((data as { n: number }).n));
      channel.bind('recovery_failed', (failure) => failures.push(failure));
      return channel;
    });
    return {
      name: `client ${index} (${transports?.join() ?? 'auto'})`,
      client,
      received,
      failures,
      channels,
    };
  });
  await Promise.all(subjects.flatMap((subject) => subject.channels.map((channel) => subscribed(channel))));

  let chaos = true;
  const actions: string[] = [];
  const chaosLoop = (async () => {
    while (chaos) {
      await new Promise((resume) => setTimeout(resume, 150 + Math.random() * 350));
      if (!chaos) break;
      const roll = Math.random();
      if (roll < 0.4) {
        actions.push('drop');
        proxy.drop();
      } else if (roll < 0.7) {
        actions.push('outage');
        proxy.refuse(true);
        proxy.drop();
        await new Promise((resume) => setTimeout(resume, 100 + Math.random() * 400));
        proxy.refuse(false);
      } else if (roll < 0.85) {
        actions.push('blackhole');
        proxy.blackhole();
      } else {
        actions.push('block websockets');
        proxy.block(/upgrade: websocket/i);
        await new Promise((resume) => setTimeout(resume, 300 + Math.random() * 500));
        proxy.block(null);
      }
    }
  })();

  const pusher = publisher(server);
  for (let n = 1; n <= EVENTS; n++) {
    await pusher.trigger(CHANNELS, 'tick', { n });
    await new Promise((resume) => setTimeout(resume, 15));
  }
  chaos = false;
  await chaosLoop;
  proxy.refuse(false);
  proxy.block(null);

  const expected = Array.from({ length: EVENTS }, (_, index) => index + 1);
  await waitFor(
    () => subjects.every((subject) => [...subject.received.values()].every((list) => list.length >= EVENTS)),
    'every client to catch up',
    30_000,
  ).catch((error: Error) => {
    const status = subjects.map(
      (s) => `${s.name}: ${[...s.received.values()].map((l) => l.length)} ${s.client.connection.state}`,
    );
    throw new Error(`${error.message}\n${status.join('\n')}\nactions: ${actions.join(', ')}`);
  });
  await new Promise((resume) => setTimeout(resume, 300));
  for (const subject of subjects) {
    for (const [channel, list] of subject.received) {
      assert.deepEqual(list, expected, `${subject.name} on ${channel} (chaos: ${actions.join(', ')})`);
    }
    assert.deepEqual(subject.failures, [], `${subject.name}: no recovery failure`);
  }
  assert.ok(actions.length >= 3, `chaos happened: ${actions.join(', ')}`);
});
