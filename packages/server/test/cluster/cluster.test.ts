/**
 * Three PressRelay nodes on one Redis: the core suite, then users (sign-in, watchlist, `#server-to-user-`,
 * termination) and per-app limits (connection quota, HTTP rate limit) across nodes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  cleanup,
  connectedClient,
  dataOf,
  nextEvent,
  pusherClient,
  RawClient,
  type ServerHandle,
  sdkFor,
  signedFetch,
  subscribed,
  waitFor,
} from '../compat/helpers.js';

type Bindable = Parameters<typeof nextEvent>[0];

import { QUOTA_APP, RATE_APP, RATE_PER_SECOND, startCluster, type TestCluster } from './support/cluster.js';
import { clusterCoreSuite, fresh } from './support/core-suite.js';

clusterCoreSuite('three nodes, one Redis', () => startCluster());

describe('users and limits across nodes', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    await cleanup();
    await cluster?.stop();
  });

  it('signs in on any node: watchlist online/offline, #server-to-user-, and termination everywhere', async () => {
    const [n0, n1, n2] = cluster.nodes as [ServerHandle, ServerHandle, ServerHandle];
    const target = fresh('user');
    const watcher = await connectedClient(n0, { user: { id: fresh('watcher'), watchlist: [target] } });
    const watchlist = (watcher.user as unknown as { watchlist: Bindable }).watchlist;
    const initial = nextEvent<{ user_ids: string[] }>(watchlist, 'offline');
    watcher.signin();
    assert.deepEqual((await initial).user_ids, [target]);

    const online = nextEvent<{ user_ids: string[] }>(watchlist, 'online');
    const first = await connectedClient(n1, { user: { id: target } });
    first.signin();
    assert.deepEqual((await online).user_ids, [target], 'a sign-in on another node is seen online');
    await waitFor(
      () =>
        (first.user as unknown as { serverToUserChannel?: { subscribed: boolean } }).serverToUserChannel
          ?.subscribed,
      'pusher-js joined its #server-to-user- channel',
    );
    const { client: second, socketId } = await RawClient.connect(n2);
    second.send({ event: 'pusher:signin', data: sdkFor(n2).authenticateUser(socketId, { id: target }) });
    await second.next('pusher:signin_success');
    const userChannel = `#server-to-user-${target}`;
    assert.equal((await second.subscribe(userChannel)).event, 'pusher_internal:subscription_succeeded');

    const personal = nextEvent<{ hello: string }>(first.user as unknown as Bindable, 'note');
    await sdkFor(n0).sendToUser(target, 'note', { hello: 'you' });
    assert.deepEqual(await personal, { hello: 'you' }, 'sendToUser through node 0 reaches node 1');
    await second.next('note', { channel: userChannel });

    const offline = nextEvent<{ user_ids: string[] }>(watchlist, 'offline');
    const response = await signedFetch(n0, 'POST', `/users/${target}/terminate_connections`, { body: '{}' });
    assert.equal(response.status, 200);
    assert.equal((await second.waitClose()).code, 4009, 'terminated on node 2 by a request to node 0');
    await waitFor(() => first.connection.state !== 'connected', 'node 1 connection terminated');
    assert.deepEqual((await offline).user_ids, [target], 'offline once the last socket is gone');
  });

  it('holds an app’s connection quota across nodes', async () => {
    const [n0, n1, n2] = cluster.nodes as [ServerHandle, ServerHandle, ServerHandle];
    const key = QUOTA_APP.key;
    const a = await RawClient.connect(n0, { key });
    const b = await RawClient.connect(n1, { key });
    const refused = RawClient.open(n2, { key });
    const error = await refused.next('pusher:error');
    assert.equal(dataOf<{ code: number }>(error).code, 4004);
    assert.equal((await refused.waitClose()).code, 4004);
    a.client.terminate();
    await waitFor(async () => {
      const retry = RawClient.open(n2, { key });
      const frame = await retry.nextOf(['pusher:connection_established', 'pusher:error']);
      retry.terminate();
      return frame.event === 'pusher:connection_established';
    }, 'a freed slot is usable from another node');
    b.client.terminate();
  });

  it('holds an app’s HTTP API rate limit across nodes', async () => {
    const statuses: number[] = [];
    for (let index = 0; index < RATE_PER_SECOND * 2; index++) {
      const node = cluster.nodes[index % cluster.nodes.length]!;
      const response = await signedFetch(node, 'GET', '/channels', { app: RATE_APP });
      statuses.push(response.status);
    }
    const allowed = statuses.filter((status) => status === 200).length;
    assert.ok(
      allowed >= RATE_PER_SECOND && allowed <= RATE_PER_SECOND + 2,
      `allowed ${allowed}: ${statuses}`,
    );
    assert.ok(statuses.includes(429), 'the cluster as a whole refuses past the limit');
  });

  it('drains a node on SIGTERM: its clients get 4200 and the cluster forgets its members at once', async () => {
    const extra = await cluster.addNode();
    const channel = fresh('presence-drain');
    const observer = pusherClient(cluster.nodes[0]!, { presence: { user_id: 'observer' } });
    const observed = await subscribed(observer, channel);
    const removed = nextEvent<{ id: string }>(observed, 'pusher:member_removed');
    const { client: leaving, socketId } = await RawClient.connect(extra);
    const channelData = JSON.stringify({ user_id: 'leaver' });
    const { auth } = sdkFor(extra).authorizeChannel(socketId, channel, { user_id: 'leaver' });
    await leaving.subscribe(channel, { auth, channel_data: channelData });
    const stopping = extra.stop('SIGTERM');
    assert.equal((await leaving.waitClose()).code, 4200);
    assert.equal((await removed).id, 'leaver', 'member_removed before the node is gone');
    assert.equal(await stopping, 0);
    cluster.nodes.splice(cluster.nodes.indexOf(extra), 1);
  });
});
