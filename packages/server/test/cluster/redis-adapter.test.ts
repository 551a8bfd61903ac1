/**
 * The Redis adapter at the adapter level: the shared contract, then what only a cluster has (several nodes on
 * one Redis): selective fan-out, cluster-wide counts, crash cleanup announced exactly once, and gap filling after
 * a subscriber connection drops.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Adapter } from '../../src/cluster/adapter.js';
import { adapterContract, CONTRACT_LIMITS, eventually } from '../../src/cluster/adapter-contract.js';
import { FAST_TIMING, startAdapterNode } from './support/adapter-node.js';
import { type RedisServer, startRedis } from './support/redis.js';

const app = 'contract-app';
const fresh = (prefix = '') => `${prefix}c-${randomBytes(5).toString('hex')}`;
const pub = { history: CONTRACT_LIMITS, cacheTtlMs: null };

let redis: RedisServer;
before(async () => {
  redis = await startRedis();
});
after(() => redis.stop());

adapterContract('redis', () => startAdapterNode(redis.url));

describe('Redis adapter across nodes', () => {
  const nodes: Array<Awaited<ReturnType<typeof startAdapterNode>>> = [];
  let a: Adapter;
  let b: Adapter;

  before(async () => {
    nodes.push(
      await startAdapterNode(redis.url, FAST_TIMING),
      await startAdapterNode(redis.url, FAST_TIMING),
    );
    a = nodes[0]!.adapter;
    b = nodes[1]!.adapter;
  });
  after(() => Promise.all(nodes.map((node) => node.adapter.stop())));

  it('delivers only to nodes that listen to the channel, in one order with one position per event', async () => {
    const channel = fresh();
    await b.listen(app, channel);
    const positions = await Promise.all(
      [1, 2, 3, 4].map((n) => (n % 2 ? a : b).publish(app, channel, { name: 'e', data: String(n) }, pub)),
    );
    const received = await eventually(
      () => nodes[1]!.handlers.messagesOn(channel).length === 4 && nodes[1]!.handlers.messagesOn(channel),
    );
    assert.deepEqual(
      received.map((message) => message.position!.serial),
      [1, 2, 3, 4],
      'serial order, whichever node published',
    );
    assert.deepEqual(
      new Set(positions.map((position) => position!.serial)),
      new Set([1, 2, 3, 4]),
      'one position per event',
    );
    assert.equal(
      nodes[0]!.handlers.messagesOn(channel).length,
      0,
      'a node that does not listen gets nothing',
    );
    await b.unlisten(app, channel);
    await a.publish(app, channel, { name: 'e', data: '5' }, pub);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(nodes[1]!.handlers.messagesOn(channel).length, 4, 'nothing after unlisten');
  });

  it('sums subscriptions and presence across nodes and announces each user once', async () => {
    const channel = fresh('presence-');
    assert.equal(await a.addSubscription(app, channel, '1.1'), 1);
    assert.equal(await b.addSubscription(app, channel, '2.1'), 2);
    assert.equal((await a.presenceJoin(app, channel, '1.1', { userId: 'u' })).firstForUser, true);
    const second = await b.presenceJoin(app, channel, '2.1', { userId: 'u' });
    assert.equal(second.firstForUser, false, 'the same user on another node is not new');
    assert.deepEqual(second.members, [{ userId: 'u' }]);
    assert.deepEqual(await b.channelCounts(app, channel), { subscriptionCount: 2, userCount: 1 });
    assert.deepEqual(
      [...(await a.occupiedChannels(app, 'presence-'))].find(([name]) => name === channel),
      [channel, { subscriptionCount: 2, userCount: 1 }],
    );
    assert.equal(await a.presenceLeave(app, channel, '1.1', 'u'), false);
    assert.equal(await b.presenceLeave(app, channel, '2.1', 'u'), true);
    assert.equal(await a.removeSubscription(app, channel, '1.1'), 1);
    assert.equal(await b.removeSubscription(app, channel, '2.1'), 0);
  });

  it('signals users online and terminations to every node', async () => {
    const user = fresh();
    await a.userOnline(app, user, '1.9');
    for (const node of nodes)
      await eventually(() => node.handlers.presenceChanges.some((c) => c.userId === user));
    assert.equal(await b.userOnline(app, user, '2.9'), false, 'already online through the other node');
    await b.terminateUser(app, user);
    for (const node of nodes) await eventually(() => node.handlers.terminated.includes(user));
    await a.userOffline(app, user, '1.9');
    await b.userOffline(app, user, '2.9');
  });

  it('removes a killed node’s members, subscriptions and users, announcing each exactly once', async () => {
    const channel = fresh();
    const presence = fresh('presence-');
    const user = fresh('user-');
    await a.addSubscription(app, presence, '1.5');
    await a.presenceJoin(app, presence, '1.5', { userId: 'survivor' });
    const script = join(dirname(fileURLToPath(import.meta.url)), 'support', 'crash-node.ts');
    const victim = spawn(process.execPath, ['--import', 'tsx', script, redis.url, channel, presence, user], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      victim.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      victim.once('exit', (code) => reject(new Error(`crash node exited early (${code})`)));
    });
    assert.deepEqual(await a.channelCounts(app, presence), { subscriptionCount: 2, userCount: 2 });
    assert.deepEqual(await a.onlineUsers(app, [user]), new Set([user]));
    victim.kill('SIGKILL');

    const left = await eventually(() => {
      const all = nodes.flatMap((node) =>
        node.handlers.membersLeft.filter((entry) => entry.channel === presence),
      );
      return all.length > 0 && all;
    }, 5_000);
    const vacated = await eventually(
      () => nodes.flatMap((node) => node.handlers.vacated).includes(channel) || undefined,
      5_000,
    );
    assert.ok(vacated);
    await new Promise((resolve) => setTimeout(resolve, 3 * FAST_TIMING.heartbeatMs));
    assert.deepEqual(
      left.map((entry) => entry.member),
      [{ userId: user, userInfo: { crashed: true } }],
      'member_removed for the dead node’s user, once, by one node',
    );
    assert.equal(
      nodes.flatMap((node) => node.handlers.membersLeft.filter((e) => e.channel === presence)).length,
      1,
    );
    assert.equal(nodes.flatMap((node) => node.handlers.vacated.filter((name) => name === channel)).length, 1);
    assert.equal(
      nodes.flatMap((node) => node.handlers.vacated.filter((name) => name === presence)).length,
      0,
      'the presence channel still has a subscriber on a live node',
    );
    assert.deepEqual(await a.channelCounts(app, presence), { subscriptionCount: 1, userCount: 1 });
    assert.deepEqual(await a.presenceMembers(app, presence), [{ userId: 'survivor' }]);
    await eventually(() =>
      nodes.every((node) => node.handlers.presenceChanges.some((c) => c.userId === user && !c.online)),
    );
    assert.deepEqual(await b.onlineUsers(app, [user]), new Set());
  });

  it('fills a gap from history after its subscriber connection was cut', async () => {
    const channel = fresh();
    await b.listen(app, channel);
    await b.history(app, channel, CONTRACT_LIMITS, null, 0);
    await a.publish(app, channel, { name: 'e', data: '1' }, pub);
    await eventually(() => nodes[1]!.handlers.messagesOn(channel).length === 1);
    // Cut every subscriber connection of the cluster; publish while they reconnect.
    await redis.cli('client', 'kill', 'type', 'pubsub');
    for (let n = 2; n <= 4; n++) await a.publish(app, channel, { name: 'e', data: String(n) }, pub);
    const received = await eventually(
      () => nodes[1]!.handlers.messagesOn(channel).length >= 4 && nodes[1]!.handlers.messagesOn(channel),
      5_000,
    );
    assert.deepEqual(
      received.map((message) => message.position!.serial),
      [1, 2, 3, 4],
      'every event once, in order',
    );
    assert.deepEqual(nodes[1]!.handlers.resets, []);
    await b.unlisten(app, channel);
  });

  it('adopts a new epoch that arrives while its connection stayed up, as a single node does', async () => {
    const channel = fresh();
    await b.listen(app, channel);
    await b.history(app, channel, CONTRACT_LIMITS, null, 0);
    const before = await a.publish(app, channel, { name: 'e', data: '1' }, pub);
    await redis.cli('del', `pr:{${app}:${channel}}:s`, `pr:{${app}:${channel}}:h`);
    const after = await a.publish(app, channel, { name: 'e', data: '2' }, pub);
    assert.notEqual(after!.epoch, before!.epoch);
    await eventually(() => nodes[1]!.handlers.messagesOn(channel).length === 2);
    assert.deepEqual(nodes[1]!.handlers.resets, [], 'nothing was missed: no reset');
    await b.unlisten(app, channel);
  });

  it('resets its subscribers when the stream was lost while its connection was down', async () => {
    const channel = fresh();
    await b.listen(app, channel);
    await b.history(app, channel, CONTRACT_LIMITS, null, 0);
    await a.publish(app, channel, { name: 'e', data: '1' }, pub);
    await eventually(() => nodes[1]!.handlers.messagesOn(channel).length === 1);
    await redis.cli('client', 'kill', 'type', 'pubsub');
    await redis.cli('del', `pr:{${app}:${channel}}:s`, `pr:{${app}:${channel}}:h`);
    await a.publish(app, channel, { name: 'e', data: '2' }, pub);
    await eventually(() => nodes[1]!.handlers.resets.includes(channel), 5_000);
    assert.equal(
      nodes[1]!.handlers.messagesOn(channel).length,
      1,
      'the lost event is not passed on as if whole',
    );
    await b.unlisten(app, channel);
  });
});
