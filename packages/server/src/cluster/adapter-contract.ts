/**
 * The Adapter contract, as tests: what every adapter must do on one node. `local.test.ts` runs it against the
 * in-memory adapter (in `npm test`); `test/cluster/redis-adapter.test.ts` runs it against Redis (in
 * `npm run test:cluster`, which fails, never skips, without a Redis server). Deliveries and notifications may
 * arrive asynchronously (through Redis), so every expectation about them waits, with a bound.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { StreamLimits } from '../channels/history.js';
import type { Outbound } from '../connections/outbound.js';
import { channelEvent } from '../protocol/messages.js';
import type { Adapter, AdapterHandlers, PresenceMember } from './adapter.js';

export const CONTRACT_APP_ID = 'contract-app';
export const CONTRACT_LIMITS: StreamLimits = { maxEvents: 5, maxAgeMs: 60_000 };

/** Records everything an adapter tells its node. */
export class RecordingHandlers implements AdapterHandlers {
  readonly delivered: Array<{ appId: string; channel: string; message: Outbound }> = [];
  readonly terminated: string[] = [];
  readonly presenceChanges: Array<{ userId: string; online: boolean }> = [];
  readonly membersLeft: Array<{ channel: string; member: PresenceMember }> = [];
  readonly vacated: string[] = [];
  readonly resets: string[] = [];
  connectionResets = 0;

  deliver(appId: string, channel: string, message: Outbound): void {
    this.delivered.push({ appId, channel, message });
  }
  terminateUser(_appId: string, userId: string): void {
    this.terminated.push(userId);
  }
  userPresenceChanged(_appId: string, userId: string, online: boolean): void {
    this.presenceChanges.push({ userId, online });
  }
  memberLeft(_appId: string, channel: string, member: PresenceMember): void {
    this.membersLeft.push({ channel, member });
  }
  channelVacated(_appId: string, channel: string): void {
    this.vacated.push(channel);
  }
  resetChannel(_appId: string, channel: string): void {
    this.resets.push(channel);
  }
  resetConnections(): void {
    this.connectionResets++;
  }

  messagesOn(channel: string): Outbound[] {
    return this.delivered.filter((entry) => entry.channel === channel).map((entry) => entry.message);
  }
}

/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => T | undefined | false, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface ContractNode {
  adapter: Adapter;
  handlers: RecordingHandlers;
}

/** Starts an adapter (with started handlers) that serves `CONTRACT_APP_ID` with `CONTRACT_LIMITS`. */
export type StartNode = () => Promise<ContractNode>;

export function adapterContract(name: string, startNode: StartNode): void {
  describe(`Adapter contract: ${name}`, () => {
    let node: ContractNode;
    let adapter: Adapter;
    let handlers: RecordingHandlers;
    const app = CONTRACT_APP_ID;
    /** A channel name no other test (or earlier run against the same Redis) uses. */
    const fresh = (prefix = '') => `${prefix}contract-${randomBytes(5).toString('hex')}`;

    before(async () => {
      node = await startNode();
      ({ adapter, handlers } = node);
    });
    after(() => adapter.stop());

    it('publishes with consecutive positions in one epoch and delivers the envelope channelEvent renders', async () => {
      const channel = fresh();
      await adapter.listen(app, channel);
      const first = await adapter.publish(app, channel, { name: 'tick', data: '{"n":1}' }, pub());
      const second = await adapter.publish(app, channel, { name: 'tick', data: '{"n":2}' }, pub());
      assert.ok(first && second);
      assert.equal(second.epoch, first.epoch);
      assert.equal(second.serial, first.serial + 1);
      const messages = await eventually(
        () => handlers.messagesOn(channel).length === 2 && handlers.messagesOn(channel),
      );
      assert.equal(messages[0]!.json, channelEvent('tick', channel, '{"n":1}', { position: first }));
      assert.deepEqual(messages[1]!.position, second);
      assert.equal(messages[1]!.channel, channel);
      assert.equal(messages[1]!.eventName(), 'tick');
    });

    it('reads history after a position, the newest events, and an empty gap', async () => {
      const channel = fresh();
      const positions = [];
      for (let n = 1; n <= 4; n++) {
        positions.push(await adapter.publish(app, channel, { name: 'e', data: String(n) }, pub()));
      }
      const [p1, , , p4] = positions;
      const after1 = await adapter.history(app, channel, CONTRACT_LIMITS, p1!, undefined);
      assert.ok(after1.ok);
      assert.deepEqual(
        after1.entries.map((entry) => entry.serial),
        [p1!.serial + 1, p1!.serial + 2, p1!.serial + 3],
      );
      assert.equal(after1.entries[0]!.json, channelEvent('e', channel, '2', { position: positions[1]! }));
      assert.deepEqual(after1.position, p4);
      const limited = await adapter.history(app, channel, CONTRACT_LIMITS, p1!, 2);
      assert.ok(limited.ok);
      assert.equal(limited.entries.length, 2, 'at most `limit` entries, oldest first');
      assert.equal(limited.entries[0]!.serial, p1!.serial + 1);
      const newest = await adapter.history(app, channel, CONTRACT_LIMITS, null, 2);
      assert.ok(newest.ok);
      assert.deepEqual(
        newest.entries.map((entry) => entry.serial),
        [p4!.serial - 1, p4!.serial],
      );
      const none = await adapter.history(app, channel, CONTRACT_LIMITS, p4!, undefined);
      assert.ok(none.ok);
      assert.equal(none.entries.length, 0);
    });

    it('a read creates the stream at serial 0, and publishing continues its epoch', async () => {
      const channel = fresh();
      const read = await adapter.history(app, channel, CONTRACT_LIMITS, null, 0);
      assert.ok(read.ok);
      assert.equal(read.position.serial, 0);
      const position = await adapter.publish(app, channel, { name: 'e', data: 'x' }, pub());
      assert.deepEqual(position, { epoch: read.position.epoch, serial: 1 });
    });

    it('reports epoch_changed, invalid_position and too_old, each with the current position', async () => {
      const channel = fresh();
      let last = null;
      for (let n = 1; n <= CONTRACT_LIMITS.maxEvents + 3; n++) {
        last = await adapter.publish(app, channel, { name: 'e', data: String(n) }, pub());
      }
      const other = await adapter.history(app, channel, CONTRACT_LIMITS, { epoch: 'OtherEpoch', serial: 1 });
      assert.deepEqual(other, { ok: false, position: last, reason: 'epoch_changed' });
      const ahead = await adapter.history(app, channel, CONTRACT_LIMITS, { epoch: last!.epoch, serial: 99 });
      assert.deepEqual(ahead, { ok: false, position: last, reason: 'invalid_position' });
      const old = await adapter.history(app, channel, CONTRACT_LIMITS, { epoch: last!.epoch, serial: 1 });
      assert.deepEqual(old, { ok: false, position: last, reason: 'too_old' });
      const kept = await adapter.history(app, channel, CONTRACT_LIMITS, { epoch: last!.epoch, serial: 3 });
      assert.ok(kept.ok, 'the last maxEvents events stay recoverable');
      assert.equal(kept.entries.length, CONTRACT_LIMITS.maxEvents);
    });

    it('publishes transient events and broadcasts without a position, honouring the excluded socket', async () => {
      const channel = fresh('private-');
      await adapter.listen(app, channel);
      const position = await adapter.publish(
        app,
        channel,
        { name: 'client-typing', data: { a: 1 }, excludeSocketId: '1.2', userId: 'u1' },
        { history: null, cacheTtlMs: null },
      );
      assert.equal(position, null);
      await adapter.broadcast(app, channel, '{"event":"x","channel":"c"}', '3.4');
      const [event, broadcast] = await eventually(
        () => handlers.messagesOn(channel).length === 2 && handlers.messagesOn(channel),
      );
      assert.equal(event!.json, channelEvent('client-typing', channel, { a: 1 }, { userId: 'u1' }));
      assert.equal(event!.position, undefined);
      assert.equal(event!.excludeSocketId, '1.2');
      assert.equal(broadcast!.json, '{"event":"x","channel":"c"}');
      assert.equal(broadcast!.excludeSocketId, '3.4');
    });

    it('keeps the last event of a cache channel until its TTL', async () => {
      const channel = fresh('cache-');
      assert.equal(await adapter.cached(app, channel), null);
      const position = await adapter.publish(
        app,
        channel,
        { name: 'price', data: '42' },
        { history: CONTRACT_LIMITS, cacheTtlMs: 60_000 },
      );
      const cached = await adapter.cached(app, channel);
      assert.ok(cached);
      assert.equal(cached.json, channelEvent('price', channel, '42', { position: position! }));
      assert.ok(cached.expiresAt > Date.now() + 50_000 && cached.expiresAt <= Date.now() + 60_000);
    });

    it('counts subscriptions and lists occupied channels by prefix', async () => {
      const tag = fresh();
      const channel = `${tag}-a`;
      assert.equal(await adapter.addSubscription(app, channel, '1.1'), 1);
      assert.equal(await adapter.addSubscription(app, channel, '1.2'), 2);
      assert.deepEqual(await adapter.channelCounts(app, channel), { subscriptionCount: 2 });
      const occupied = await adapter.occupiedChannels(app, tag);
      assert.deepEqual([...occupied], [[channel, { subscriptionCount: 2 }]]);
      assert.equal(await adapter.removeSubscription(app, channel, '1.1'), 1);
      assert.equal(await adapter.removeSubscription(app, channel, '1.2'), 0);
      assert.equal((await adapter.occupiedChannels(app, tag)).size, 0);
      assert.deepEqual(await adapter.channelCounts(app, channel), { subscriptionCount: 0 });
    });

    it('tracks presence members once per user, with the latest user info', async () => {
      const channel = fresh('presence-');
      const alice = { userId: 'alice', userInfo: { name: 'Alice' } };
      const first = await adapter.presenceJoin(app, channel, '1.1', alice);
      assert.deepEqual(first, { firstForUser: true, members: [alice] });
      const again = await adapter.presenceJoin(app, channel, '1.2', alice);
      assert.equal(again.firstForUser, false, "a user's second socket is not announced");
      const bob = await adapter.presenceJoin(app, channel, '1.3', { userId: 7 });
      assert.equal(bob.firstForUser, true);
      assert.deepEqual(sortMembers(bob.members), sortMembers([alice, { userId: 7 }]));
      await adapter.addSubscription(app, channel, '1.1');
      assert.deepEqual(await adapter.channelCounts(app, channel), { subscriptionCount: 1, userCount: 2 });
      assert.equal(await adapter.presenceLeave(app, channel, '1.1', 'alice'), false);
      assert.equal(
        await adapter.presenceLeave(app, channel, '1.2', 'alice'),
        true,
        "the user's last socket left",
      );
      assert.deepEqual(await adapter.presenceMembers(app, channel), [{ userId: 7 }]);
      assert.equal(await adapter.presenceLeave(app, channel, '1.3', 7), true);
      assert.deepEqual(await adapter.presenceMembers(app, channel), []);
      await adapter.removeSubscription(app, channel, '1.1');
    });

    it('knows which users are online and tells the node when one comes and goes', async () => {
      const user = fresh();
      assert.equal(await adapter.userOnline(app, user, '2.1'), true);
      assert.equal(await adapter.userOnline(app, user, '2.2'), false);
      assert.deepEqual(await adapter.onlineUsers(app, [user, 'nobody']), new Set([user]));
      await eventually(() => handlers.presenceChanges.some((c) => c.userId === user && c.online));
      assert.equal(await adapter.userOffline(app, user, '2.1'), false);
      assert.equal(await adapter.userOffline(app, user, '2.2'), true);
      await eventually(() => handlers.presenceChanges.some((c) => c.userId === user && !c.online));
      assert.equal(handlers.presenceChanges.filter((c) => c.userId === user).length, 2, 'once each way');
      assert.deepEqual(await adapter.onlineUsers(app, [user]), new Set());
    });

    it('asks every node to terminate a user', async () => {
      const user = fresh();
      await adapter.terminateUser(app, user);
      await eventually(() => handlers.terminated.includes(user));
    });

    it('holds the connection quota and frees it on release', async () => {
      const quotaApp = app;
      const before = await Promise.all([adapter.reserveConnection(quotaApp, '9.1', 0)]);
      assert.deepEqual(before, [true], 'limit 0 is unlimited');
      await adapter.releaseConnection(quotaApp, '9.1');
      assert.equal(await adapter.reserveConnection(quotaApp, '9.2', 2), true);
      assert.equal(await adapter.reserveConnection(quotaApp, '9.3', 2), true);
      assert.equal(await adapter.reserveConnection(quotaApp, '9.4', 2), false);
      await adapter.releaseConnection(quotaApp, '9.2');
      assert.equal(await adapter.reserveConnection(quotaApp, '9.5', 2), true);
      await adapter.releaseConnection(quotaApp, '9.3');
      await adapter.releaseConnection(quotaApp, '9.5');
    });

    it('limits HTTP API requests with a token bucket (0 = unlimited)', async () => {
      const bucket = fresh();
      const waits = [];
      for (let n = 0; n < 4; n++) waits.push(await adapter.takeRateToken(bucket, 3));
      assert.deepEqual(waits.slice(0, 3), [0, 0, 0]);
      assert.ok(waits[3]! >= 1, 'the fourth request within a second waits');
      assert.equal(await adapter.takeRateToken(bucket, 0), 0);
    });
  });
}

function pub() {
  return { history: CONTRACT_LIMITS, cacheTtlMs: null };
}

function sortMembers(members: PresenceMember[]): PresenceMember[] {
  return [...members].sort((a, b) => String(a.userId).localeCompare(String(b.userId)));
}
