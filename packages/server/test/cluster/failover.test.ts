/**
 * A node is killed (SIGKILL, no goodbye) while events stream: its clients reconnect to the other nodes and resume,
 * and every client ends with every event, in order, none lost or duplicated. The dead node's presence members
 * and subscriptions are removed by the survivors within seconds, announced exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import {
  cleanup,
  nextEvent,
  onCleanup,
  pusherClient,
  RawClient,
  sdkFor,
  sleep,
  subscribed,
  waitFor,
} from '../compat/helpers.js';
import { APP, readiness, startCluster, type TestCluster } from './support/cluster.js';
import { fresh, webhooksFor } from './support/core-suite.js';
import { ResumingClient } from './support/resuming-client.js';

const EVENTS = 300;
const KILL_AT = 100;
const CLIENTS = 9;

let cluster: TestCluster;
before(async () => {
  cluster = await startCluster();
});
after(async () => {
  await cleanup();
  await cluster?.stop();
});

it('loses nothing when a node is killed mid-stream, and cleans up after it exactly once', async () => {
  const [n0, n1, victim] = cluster.nodes as [
    (typeof cluster.nodes)[0],
    (typeof cluster.nodes)[0],
    (typeof cluster.nodes)[0],
  ];
  const channel = fresh('stream');
  const presence = fresh('presence-lobby');
  const onlyOnVictim = fresh('lonely');
  const urls = cluster.nodes.map((node) => node.wsUrl);
  const clients = Array.from(
    { length: CLIENTS },
    (_, index) => new ResumingClient(urls, APP.key, [channel], index % urls.length),
  );
  for (const client of clients) onCleanup(() => client.stop());
  await Promise.all(clients.map((client) => client.start()));

  const observer = pusherClient(n0, { presence: { user_id: 'observer' } });
  const observed = await subscribed(observer, presence);
  const removed = nextEvent<{ id: string }>(observed, 'pusher:member_removed', 15_000);
  const { client: doomed, socketId } = await RawClient.connect(victim);
  const { auth } = sdkFor(victim).authorizeChannel(socketId, presence, { user_id: 'doomed' });
  await doomed.subscribe(presence, { auth, channel_data: JSON.stringify({ user_id: 'doomed' }) });
  await doomed.subscribe(onlyOnVictim);
  await waitFor(() => webhooksFor(cluster, 'channel_occupied', onlyOnVictim).length === 1, 'occupied');

  const publishers = [sdkFor(n0), sdkFor(n1)];
  const killedAt = { time: 0 };
  for (let n = 1; n <= EVENTS; n++) {
    const response = await publishers[n % 2]!.trigger(channel, 'tick', { n });
    assert.equal(response.status, 200);
    if (n === KILL_AT) {
      victim.process.kill('SIGKILL');
      killedAt.time = Date.now();
    }
    await sleep(5);
  }

  for (const client of clients) {
    await client.waitUntil(
      () => client.eventsOn(channel).length >= EVENTS,
      20_000,
      `given all ${EVENTS} events`,
    );
  }
  await sleep(300);
  for (const [index, client] of clients.entries()) {
    const events = client.eventsOn(channel);
    assert.deepEqual(
      events.map((event) => (JSON.parse(event.data) as { n: number }).n),
      Array.from({ length: EVENTS }, (_, i) => i + 1),
      `client ${index}: every event once, in order`,
    );
    const serials = events.map((event) => Number(event.position!.split(':')[1]));
    assert.ok(
      serials.every((serial, i) => i === 0 || serial === serials[i - 1]! + 1),
      `client ${index}: consecutive positions`,
    );
  }
  const failedOver = clients.filter((client) => client.closeCodes.length > 0);
  assert.equal(failedOver.length, CLIENTS / 3, "the killed node's clients, and only they, reconnected");
  for (const client of failedOver) {
    assert.ok(client.resumes.length >= 1);
    assert.ok(
      client.resumes.every((resume) => resume.recovered === true),
      'resumed on a surviving node from Redis-held history',
    );
  }

  assert.equal((await removed).id, 'doomed');
  const detectedInMs = Date.now() - killedAt.time;
  assert.ok(detectedInMs < 12_000, `member_removed ${detectedInMs} ms after the kill`);
  await waitFor(
    () => webhooksFor(cluster, 'channel_vacated', onlyOnVictim).length === 1,
    'channel_vacated for a channel only the dead node served',
    5_000,
  );
  await sleep(2_500);
  assert.equal(webhooksFor(cluster, 'member_removed', presence).length, 1, 'member_removed webhook once');
  assert.equal(webhooksFor(cluster, 'channel_vacated', onlyOnVictim).length, 1, 'channel_vacated once');
  assert.equal(await readiness(n0), 200);
  assert.equal(await readiness(n1), 200);
  cluster.nodes.splice(2, 1);
});
