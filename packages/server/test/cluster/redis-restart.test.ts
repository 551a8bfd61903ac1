/**
 * Redis restarts without persistence under two nodes: while it is down the nodes report not ready, refuse
 * publishes they cannot stamp (503) and subscriptions they cannot position (subscription_error 503), and still
 * pass client events between their own sockets. When it is back, empty, every client is told to reconnect, its
 * resume answers honestly `recovered: false, reason: epoch_changed`, and service is whole again.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { RecoveryFailure } from '../../../client/src/index.js';
import { Clients, subscribed } from '../../../client/test/helpers.js';
import { cleanup, dataOf, onCleanup, RawClient, sdkFor, signedFetch, waitFor } from '../compat/helpers.js';
import type { ServerHandle } from '../harness.js';
import { APP, readiness, startCluster, type TestCluster } from './support/cluster.js';
import { fresh, publish } from './support/core-suite.js';
import type { RedisServer } from './support/redis.js';
import { ResumingClient } from './support/resuming-client.js';

const pressRelayClients = new Clients();

let cluster: TestCluster;
before(async () => {
  cluster = await startCluster({ nodes: 2 });
});
after(async () => {
  pressRelayClients.stopAll();
  await cleanup();
  await cluster?.stop();
});

async function privateSubscriber(node: ServerHandle, channel: string) {
  const { client, socketId } = await RawClient.connect(node);
  const { auth } = sdkFor(node).authorizeChannel(socketId, channel);
  await client.subscribe(channel, { auth });
  return client;
}

it('survives a Redis restart: not ready and honest while down, recovery_failed and full service after', async () => {
  const [n0, n1] = cluster.nodes as [ServerHandle, ServerHandle];
  const redis = cluster.redis as RedisServer;
  const channel = fresh('restart');
  const urls = cluster.nodes.map((node) => node.wsUrl);
  const clients = [0, 1, 0, 1].map((node) => new ResumingClient(urls, APP.key, [channel], node));
  for (const client of clients) onCleanup(() => client.stop());
  await Promise.all(clients.map((client) => client.start()));
  // The PressRelay client itself, one per node: it must raise recovery_failed, and keep going.
  const pressRelay = cluster.nodes.map((node) => {
    const client = pressRelayClients.create({ key: APP.key, url: node.url, transports: ['ws'] });
    const channelHandle = client.subscribe(channel);
    const ticks: number[] = [];
    const failures: RecoveryFailure[] = [];
    channelHandle.bind('tick', (data) => ticks.push((data as { n: number }).n));
    channelHandle.bind('recovery_failed', (failure) => failures.push(failure as RecoveryFailure));
    return { channel: channelHandle, ticks, failures };
  });
  await Promise.all(pressRelay.map((entry) => subscribed(entry.channel)));
  const chat = fresh('private-local');
  const [talker, listener] = [await privateSubscriber(n0, chat), await privateSubscriber(n0, chat)];
  for (let n = 1; n <= 5; n++) await publish(n % 2 ? n0 : n1, channel, 'tick', { n });
  for (const client of clients)
    await client.waitUntil(() => client.eventsOn(channel).length === 5, 5_000, '5 events');
  const oldEpoch = clients[0]!.last.get(channel)!.split(':')[0];

  await redis.stop();
  await waitFor(
    async () => (await readiness(n0)) === 503 && (await readiness(n1)) === 503,
    'both not ready',
    8_000,
  );
  const refused = await signedFetch(n1, 'POST', '/events', {
    body: JSON.stringify({ name: 'tick', channel, data: '{"n":0}' }),
  });
  assert.equal(refused.status, 503, 'an event that cannot get its position is refused, not half-delivered');
  assert.equal(((await refused.json()) as { code: string }).code, 'CLUSTER_UNAVAILABLE');
  talker.send({ event: 'client-note', channel: chat, data: { local: true } });
  assert.deepEqual(
    (await listener.next('client-note', { channel: chat })).data,
    { local: true },
    'client events still reach sockets on the same node',
  );
  const { client: late } = await RawClient.connect(n1);
  const answer = await late.subscribe(fresh('late'));
  assert.equal(answer.event, 'pusher:subscription_error');
  assert.equal(dataOf<{ status: number }>(answer).status, 503);

  await redis.restart();
  await waitFor(
    async () => (await readiness(n0)) === 200 && (await readiness(n1)) === 200,
    'ready again',
    10_000,
  );
  for (const client of clients) {
    await client.waitUntil(
      () => client.isSubscribed() && client.resumes.some((resume) => resume.reason === 'epoch_changed'),
      10_000,
      'told that its history was lost',
    );
    assert.ok(client.closeCodes.includes(4200), 'asked to reconnect (4200)');
    assert.ok(
      client.resumes.every((resume) => resume.recovered === true || resume.reason === 'epoch_changed'),
      `resumes: ${JSON.stringify(client.resumes)}`,
    );
  }

  for (const entry of pressRelay) {
    await waitFor(() => entry.failures.length > 0, 'recovery_failed from the PressRelay client', 10_000);
    assert.equal(entry.failures[0]!.reason, 'epoch_changed');
  }

  await publish(n1, channel, 'tick', { n: 6 });
  for (const entry of pressRelay) {
    await waitFor(() => entry.ticks.length === 6, 'the PressRelay client gets the event after the restart');
    assert.deepEqual(entry.ticks, [1, 2, 3, 4, 5, 6]);
  }
  for (const client of clients) {
    await client.waitUntil(() => client.eventsOn(channel).length === 6, 5_000, 'the event after the restart');
    const events = client.eventsOn(channel);
    assert.deepEqual(
      events.map((event) => (JSON.parse(event.data) as { n: number }).n),
      [1, 2, 3, 4, 5, 6],
      'nothing duplicated, nothing invented',
    );
    assert.notEqual(events[5]!.position!.split(':')[0], oldEpoch, 'a new epoch after the loss');
  }
  const counts = (await (
    await signedFetch(n0, 'GET', `/channels/${channel}`, { params: { info: 'subscription_count' } })
  ).json()) as { subscription_count: number };
  assert.equal(counts.subscription_count, 6, 'the counts were rebuilt from the nodes');
});
