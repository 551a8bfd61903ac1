/**
 * The core of the cluster suite, run against one Redis (`cluster.test.ts`) and against a three-master Redis
 * Cluster (`redis-cluster.test.ts`): clients spread over three nodes, publishing through any node.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  cleanup,
  collect,
  dataOf,
  nextEvent,
  pusherClient,
  RawClient,
  sdkFor,
  signedFetch,
  sleep,
  subscribed,
  waitFor,
} from '../../compat/helpers.js';
import type { ServerHandle } from '../../harness.js';
import { readiness, type TestCluster } from './cluster.js';

export const fresh = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

type Webhook = Record<string, unknown>;

export function webhooksFor(cluster: TestCluster, name: string, channel: string): Webhook[] {
  return cluster.webhooks
    .events()
    .map(({ event }) => event)
    .filter((event) => event.name === name && event.channel === channel);
}

export async function publish(node: ServerHandle, channel: string, event: string, data: unknown) {
  const response = await sdkFor(node).trigger(channel, event, data);
  assert.equal(response.status, 200);
}

export function clusterCoreSuite(name: string, start: () => Promise<TestCluster>): void {
  describe(`cluster core: ${name}`, () => {
    let cluster: TestCluster;
    let nodes: ServerHandle[];

    before(async () => {
      cluster = await start();
      nodes = cluster.nodes;
    });
    after(async () => {
      await cleanup();
      await cluster?.stop();
    });

    it('reports every node ready', async () => {
      for (const node of nodes) assert.equal(await readiness(node), 200);
    });

    it('delivers a publish from any node to pusher-js clients on every node, in one order', async () => {
      const channel = fresh('news');
      const clients = nodes.map((node) => pusherClient(node));
      const received = await Promise.all(
        clients.map(async (client) => collect<{ n: number }>(await subscribed(client, channel), 'tick')),
      );
      for (let n = 1; n <= 6; n++) await publish(nodes[n % nodes.length]!, channel, 'tick', { n });
      for (const events of received) {
        await waitFor(() => events.length === 6, 'six events on every node');
        assert.deepEqual(
          events.map((event) => event.n),
          [1, 2, 3, 4, 5, 6],
        );
      }
    });

    it('stamps one position per event cluster-wide, and events on many channels (slots) arrive', async () => {
      const channels = [0, 1, 2, 3, 4].map(() => fresh('pos'));
      const raws = await Promise.all(nodes.map(async (node) => (await RawClient.connect(node)).client));
      for (const raw of raws) for (const channel of channels) await raw.subscribe(channel);
      for (const [index, channel] of channels.entries()) {
        for (let n = 1; n <= 3; n++)
          await publish(nodes[(index + n) % nodes.length]!, channel, 'tick', { n });
      }
      for (const channel of channels) {
        const seen = await Promise.all(
          raws.map(async (raw) => {
            await waitFor(() => raw.all('tick', channel).length === 3, `3 events on ${channel}`);
            return raw.all('tick', channel).map((frame) => frame.position);
          }),
        );
        const epoch = seen[0]![0]!.split(':')[0];
        assert.deepEqual(seen[0], [`${epoch}:1`, `${epoch}:2`, `${epoch}:3`]);
        for (const other of seen) assert.deepEqual(other, seen[0], 'every node delivers the same positions');
      }
    });

    it('recovers missed events when a client resumes on another node', async () => {
      const channel = fresh('resume');
      const first = (await RawClient.connect(nodes[0]!)).client;
      await first.subscribe(channel);
      await publish(nodes[1]!, channel, 'tick', { n: 1 });
      const one = await first.next('tick', { channel });
      first.terminate();
      for (let n = 2; n <= 4; n++) await publish(nodes[n % nodes.length]!, channel, 'tick', { n });
      const second = (await RawClient.connect(nodes[2]!)).client;
      const reply = dataOf<{ recovered: boolean; missed: number }>(
        await second.subscribe(channel, { resume_from: one.position }),
      );
      assert.equal(reply.recovered, true);
      assert.equal(reply.missed, 3);
      await publish(nodes[0]!, channel, 'tick', { n: 5 });
      await waitFor(() => second.all('tick', channel).length === 4, 'missed then live events');
      assert.deepEqual(
        second.all('tick', channel).map((frame) => JSON.parse(frame.data as string).n),
        [2, 3, 4, 5],
      );
    });

    it('keeps presence cluster-wide: one member_added and one member_removed per user, once', async () => {
      const channel = fresh('presence-room');
      const bob = pusherClient(nodes[1]!, { presence: { user_id: 'bob', user_info: { name: 'Bob' } } });
      const bobChannel = await subscribed(bob, channel);
      const added = collect<{ id: string }>(bobChannel, 'pusher:member_added');
      const removed = collect<{ id: string }>(bobChannel, 'pusher:member_removed');
      const alice1 = pusherClient(nodes[0]!, {
        presence: { user_id: 'alice', user_info: { name: 'Alice' } },
      });
      await subscribed(alice1, channel);
      const alice2 = pusherClient(nodes[2]!, {
        presence: { user_id: 'alice', user_info: { name: 'Alice' } },
      });
      const alice2Channel = await subscribed(alice2, channel);
      const members = (alice2Channel as unknown as { members: { count: number; get(id: string): unknown } })
        .members;
      assert.equal(members.count, 2, 'a subscriber on a third node sees members of the other two');
      await waitFor(() => added.length === 1, 'member_added for alice');
      const users = (await (await signedFetch(nodes[2]!, 'GET', `/channels/${channel}/users`)).json()) as {
        users: Array<{ id: string }>;
      };
      assert.deepEqual(users.users.map((user) => user.id).sort(), ['alice', 'bob']);

      alice1.disconnect();
      await sleep(300);
      assert.equal(removed.length, 0, 'alice still has a socket on another node');
      alice2.disconnect();
      await waitFor(() => removed.length === 1, 'member_removed for alice');
      await waitFor(() => webhooksFor(cluster, 'member_removed', channel).length === 1, 'webhook');
      await sleep(300);
      assert.deepEqual(
        added.map((member) => member.id),
        ['alice'],
      );
      assert.equal(removed.length, 1);
      assert.equal(webhooksFor(cluster, 'member_added', channel).length, 2, 'bob and alice, once each');
      assert.equal(webhooksFor(cluster, 'member_removed', channel).length, 1);
    });

    it('fires channel_occupied and channel_vacated once for subscribers on three nodes, and the API counts them', async () => {
      const channel = fresh('occupied');
      const raws = await Promise.all(nodes.map(async (node) => (await RawClient.connect(node)).client));
      await Promise.all(raws.map((raw) => raw.subscribe(channel)));
      for (const node of nodes) {
        const one = (await (
          await signedFetch(node, 'GET', `/channels/${channel}`, { params: { info: 'subscription_count' } })
        ).json()) as { occupied: boolean; subscription_count: number };
        assert.deepEqual(one, { occupied: true, subscription_count: 3 });
      }
      const list = (await (
        await signedFetch(nodes[1]!, 'GET', '/channels', {
          params: { filter_by_prefix: channel, info: 'subscription_count' },
        })
      ).json()) as { channels: Record<string, unknown> };
      assert.deepEqual(list.channels, { [channel]: { subscription_count: 3 } });
      await waitFor(() => webhooksFor(cluster, 'channel_occupied', channel).length === 1, 'occupied webhook');
      for (const raw of raws) raw.send({ event: 'pusher:unsubscribe', data: { channel } });
      await waitFor(() => webhooksFor(cluster, 'channel_vacated', channel).length === 1, 'vacated webhook');
      await sleep(500);
      assert.equal(webhooksFor(cluster, 'channel_occupied', channel).length, 1);
      assert.equal(webhooksFor(cluster, 'channel_vacated', channel).length, 1);
      const empty = (await (
        await signedFetch(nodes[2]!, 'GET', '/channels', { params: { filter_by_prefix: channel } })
      ).json()) as { channels: Record<string, unknown> };
      assert.deepEqual(empty.channels, {});
    });

    it('carries client events between nodes, never back to the sender', async () => {
      const channel = fresh('private-chat');
      const sender = pusherClient(nodes[0]!);
      const receiver = pusherClient(nodes[1]!);
      const senderChannel = await subscribed(sender, channel);
      const receiverChannel = await subscribed(receiver, channel);
      const echoed = collect(senderChannel, 'client-typing');
      const arrived = nextEvent<{ who: string }>(receiverChannel, 'client-typing');
      senderChannel.trigger('client-typing', { who: 'sender' });
      assert.deepEqual(await arrived, { who: 'sender' });
      await waitFor(
        () => webhooksFor(cluster, 'client_event', channel).length === 1,
        'client_event webhook from the sender’s node',
      );
      await sleep(200);
      assert.equal(echoed.length, 0);
    });

    it('replays a cache channel’s last event to a subscriber on another node', async () => {
      const channel = fresh('cache-price');
      await publish(nodes[0]!, channel, 'price', { value: 42 });
      const client = pusherClient(nodes[2]!);
      const cacheChannel = client.subscribe(channel);
      assert.deepEqual(await nextEvent(cacheChannel, 'price'), { value: 42 });
      const info = (await (
        await signedFetch(nodes[1]!, 'GET', `/channels/${channel}`, { params: { info: 'cache' } })
      ).json()) as { cache: { event: string } };
      assert.equal(info.cache.event, 'price');
    });
  });
}
