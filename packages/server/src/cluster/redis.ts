/**
 * The Redis adapter: many nodes behind a load balancer, one Redis (or Redis Cluster) as the shared engine.
 *
 * - Positions and history live in Redis; publish.lua assigns the serial, appends, sets the cache entry and
 *   SPUBLISHes in one atomic step, so every node sees a channel's events in one order (`redis/streams.ts`).
 * - A node SSUBSCRIBEs only to the shard channels of channels it serves (`listen`), and fills any gap a lost
 *   subscriber connection left from history before passing live messages on (`redis/fanout.ts`).
 * - Counts that must be cluster-wide (subscriptions, presence sockets, signed-in users, connections) are sums of
 *   per-node shares, so a dead node's part can be subtracted exactly once (`redis/shares.ts`, `redis/membership.ts`).
 * - Terminations and users going online/offline go over one control shard channel per app, which every node
 *   subscribes to.
 * Key layout: `redis/keys.ts`. Failure behaviour: the contract in `adapter.ts`, and docs/deployment.md.
 */
import { Cluster } from 'ioredis';
import type { Logger } from 'pino';
import { historyLimits } from '../apps/limits.js';
import type { AppConfig } from '../apps/schema.js';
import type { HistoryRead, StreamLimits } from '../channels/history.js';
import { Outbound } from '../connections/outbound.js';
import { channelEvent } from '../protocol/messages.js';
import type { Position } from '../protocol/positions.js';
import {
  type Adapter,
  type AdapterHandlers,
  type CachedEvent,
  type ChannelCounts,
  envelopeExtras,
  type PresenceJoin,
  type PresenceMember,
  type PublishEvent,
  type PublishOptions,
} from './adapter.js';
import { RateLimiter } from './rate-limit.js';
import { connectCommands, parseRedisUrl, type RedisTarget } from './redis/connect.js';
import { Control } from './redis/control.js';
import { Fanout } from './redis/fanout.js';
import { AppKeys, ChannelKeys, REGISTRY_KEY } from './redis/keys.js';
import { DEFAULT_TIMING, Membership, type MembershipTiming } from './redis/membership.js';
import { loadScripts, preload, type RedisClient, type Scripts, storeError } from './redis/scripts.js';
import {
  connectionsOf,
  memberJson,
  parseMember,
  presenceOf,
  Shares,
  subscriptionsOf,
  usersOf,
} from './redis/shares.js';
import { encodeFeedMessage, Streams, toHistoryRead } from './redis/streams.js';
import { Subscriber } from './redis/subscriber.js';

export interface RedisAdapterOptions {
  url: string;
  /** Every app of the deployment (all nodes must share the app list): cleanup after a dead node walks them. */
  appIds: readonly string[];
  findApp: (appId: string) => AppConfig | undefined;
  logger: Logger;
  timing?: MembershipTiming;
}

/** How long `start` waits for Redis before the node starts anyway, not ready, and keeps reconnecting. */
const START_WAIT_MS = 5_000;

export class RedisAdapter implements Adapter {
  private readonly target: RedisTarget;
  private readonly client: RedisClient;
  private readonly scripts: Scripts = loadScripts();
  private readonly streams: Streams;
  private readonly shares: Shares;
  private readonly membership: Membership;
  private readonly subscriber: Subscriber;
  private readonly fanout: Fanout;
  private readonly control: Control;
  /** Used only while Redis is away, so the HTTP API keeps a limit. */
  private readonly fallbackLimiter = new RateLimiter();
  private handlers: AdapterHandlers | null = null;
  private healthy = false;
  private readonly logger: Logger;

  constructor(private readonly options: RedisAdapterOptions) {
    this.logger = options.logger.child({ component: 'redis' });
    this.target = parseRedisUrl(options.url);
    this.client = connectCommands(this.target);
    this.client.on('error', (error: Error) => this.logger.debug({ err: error }, 'redis connection error'));
    this.client.on('ready', () => this.checkHealth());
    this.client.on('close', () => this.checkHealth());
    this.streams = new Streams(this.client, this.scripts);
    this.shares = new Shares(this.client, this.scripts, () => this.nodeId);
    this.membership = new Membership(
      this.client,
      this.scripts,
      options.appIds,
      this.shares,
      {
        announce: (transitions) => this.control.announce(transitions),
        lost: () => this.handlers?.resetConnections(),
        healthChanged: () => this.checkHealth(),
      },
      this.logger,
      options.timing ?? DEFAULT_TIMING,
    );
    this.fanout = new Fanout({
      deliver: (appId, channel, message) => this.handlers?.deliver(appId, channel, message),
      resetChannel: (appId, channel) => this.handlers?.resetChannel(appId, channel),
      read: (appId, channel, since) => this.streams.read(appId, channel, this.limitsOf(appId), since),
    });
    this.subscriber = new Subscriber(
      this.target,
      {
        onMessage: (shard, payload) => this.onMessage(shard, payload),
        onLost: (shards) => this.fanout.lost(shards),
        onResubscribed: (shards) => this.fanout.resubscribed(shards),
      },
      this.client instanceof Cluster ? this.client : null,
    );
    this.control = new Control(this.client, this.subscriber, () => this.handlers);
  }

  get nodeId(): string {
    return this.membership.nodeId;
  }

  async start(handlers: AdapterHandlers): Promise<void> {
    this.handlers = handlers;
    if (!(await this.connected(START_WAIT_MS))) {
      this.logger.error({ url: redact(this.options.url) }, 'Redis is not reachable; starting not ready');
    }
    await preload(this.client, this.scripts).catch(() => {});
    await this.control.start(this.options.appIds);
    await this.membership.start();
    this.checkHealth();
    this.logger.info({ node: this.nodeId, cluster: this.target.cluster }, 'Redis adapter started');
  }

  async stop(): Promise<void> {
    try {
      this.control.announce(await this.membership.stop());
    } catch (error) {
      this.logger.warn({ err: error }, 'could not deregister this node; the cluster will reap it');
    }
    this.handlers = null;
    await this.subscriber.stop();
    await this.client.quit().catch(() => {});
    this.client.disconnect();
  }

  isHealthy(): boolean {
    return this.client.status === 'ready' && this.subscriber.isReady() && this.membership.isAlive();
  }

  async publish(
    appId: string,
    channel: string,
    event: PublishEvent,
    options: PublishOptions,
  ): Promise<Position | null> {
    if (options.history)
      return this.streams.publish(appId, channel, event, options.history, options.cacheTtlMs);
    const json = channelEvent(event.name, channel, event.data, envelopeExtras(event));
    await this.transient(appId, channel, json, event.excludeSocketId, event.name, options.cacheTtlMs);
    return null;
  }

  async broadcast(appId: string, channel: string, json: string, excludeSocketId?: string): Promise<void> {
    await this.transient(appId, channel, json, excludeSocketId, undefined, null);
  }

  async history(
    appId: string,
    channel: string,
    limits: StreamLimits,
    since: Position | null,
    limit?: number,
  ): Promise<HistoryRead> {
    const read = await this.streams.read(appId, channel, limits, since, limit);
    this.fanout.noteRead(new ChannelKeys(appId, channel).shard, read.position);
    return toHistoryRead(read);
  }

  async cached(appId: string, channel: string): Promise<CachedEvent | null> {
    const key = new ChannelKeys(appId, channel).cache;
    const [json, ttl] = await this.query(() => Promise.all([this.client.get(key), this.client.pttl(key)]));
    if (json === null || ttl <= 0) return null;
    return { json, expiresAt: Date.now() + ttl };
  }

  async listen(appId: string, channel: string): Promise<void> {
    const shard = new ChannelKeys(appId, channel).shard;
    this.fanout.open(shard, appId, channel);
    await this.subscriber.add(shard);
  }

  async unlisten(appId: string, channel: string): Promise<void> {
    const shard = new ChannelKeys(appId, channel).shard;
    this.fanout.close(shard);
    await this.subscriber.remove(shard);
  }

  async addSubscription(appId: string, channel: string, socketId: string): Promise<number> {
    return (await this.shares.join(subscriptionsOf(appId, channel), socketId)).after;
  }

  async removeSubscription(appId: string, channel: string, socketId: string): Promise<number> {
    const change = await this.shares.leave(subscriptionsOf(appId, channel), socketId);
    // Unknown (Redis away): report "others remain"; if the channel did empty, the resync announces it.
    return change ? change.after : 1;
  }

  async presenceJoin(
    appId: string,
    channel: string,
    socketId: string,
    member: PresenceMember,
  ): Promise<PresenceJoin> {
    const change = await this.shares.join(presenceOf(appId, channel, member.userId), socketId, {
      member: memberJson(member),
      wantMembers: true,
    });
    return { firstForUser: change.before === 0, members: change.members.flatMap(parseMember) };
  }

  async presenceLeave(
    appId: string,
    channel: string,
    socketId: string,
    userId: string | number,
  ): Promise<boolean> {
    const change = await this.shares.leave(presenceOf(appId, channel, userId), socketId);
    return change !== null && change.before > 0 && change.after === 0;
  }

  async presenceMembers(appId: string, channel: string): Promise<PresenceMember[]> {
    const all = await this.query(() => this.client.hvals(new ChannelKeys(appId, channel).members));
    return all.flatMap(parseMember);
  }

  async channelCounts(appId: string, channel: string): Promise<ChannelCounts> {
    const keys = new ChannelKeys(appId, channel);
    const [subscriptionCount, userCount] = await this.query(() =>
      Promise.all([
        this.client.hget(keys.subs, 'n'),
        channel.startsWith('presence-') ? this.client.hlen(keys.members) : Promise.resolve(undefined),
      ]),
    );
    const counts: ChannelCounts = { subscriptionCount: Number(subscriptionCount ?? 0) };
    if (userCount !== undefined) counts.userCount = userCount;
    return counts;
  }

  async occupiedChannels(appId: string, prefix = ''): Promise<Map<string, ChannelCounts>> {
    const app = new AppKeys(appId);
    const nodes = await this.query(() => this.client.zrange(REGISTRY_KEY, 0, -1));
    const channels =
      nodes.length === 0
        ? []
        : await this.query(() => this.client.sunion(...nodes.map((node) => app.channelsOf(node))));
    const candidates = channels.filter((channel) => channel.startsWith(prefix));
    const counts = await Promise.all(candidates.map((channel) => this.channelCounts(appId, channel)));
    const result = new Map<string, ChannelCounts>();
    candidates.forEach((channel, index) => {
      if (counts[index]!.subscriptionCount > 0) result.set(channel, counts[index]!);
    });
    return result;
  }

  async userOnline(appId: string, userId: string, socketId: string): Promise<boolean> {
    const change = await this.shares.join(usersOf(appId, userId), socketId, { keep: true });
    const first = change !== null && change.before === 0 && change.after > 0;
    if (first) await this.control.userChanged(appId, userId, true).catch(() => {});
    return first;
  }

  async userOffline(appId: string, userId: string, socketId: string): Promise<boolean> {
    const change = await this.shares.leave(usersOf(appId, userId), socketId);
    const last = change !== null && change.before > 0 && change.after === 0;
    if (last) await this.control.userChanged(appId, userId, false).catch(() => {});
    return last;
  }

  async onlineUsers(appId: string, userIds: readonly string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    const counts = await this.query(() => this.client.hmget(new AppKeys(appId).users, ...userIds));
    return new Set(userIds.filter((_, index) => Number(counts[index] ?? 0) > 0));
  }

  async terminateUser(appId: string, userId: string): Promise<void> {
    await this.query(() => this.control.terminate(appId, userId));
  }

  async reserveConnection(appId: string, socketId: string, limit: number): Promise<boolean> {
    const target = connectionsOf(appId);
    const change = await this.shares.join(target, socketId, { limit, keep: true });
    if (change) return change.after >= 0;
    // Redis away: the cluster-wide count is unknown; hold the limit on this node at least.
    if (limit > 0 && this.shares.localCount(target) > limit) {
      await this.shares.leave(target, socketId);
      return false;
    }
    return true;
  }

  async releaseConnection(appId: string, socketId: string): Promise<void> {
    await this.shares.leave(connectionsOf(appId), socketId);
  }

  async takeRateToken(appId: string, perSecond: number): Promise<number> {
    if (perSecond <= 0) return 0;
    try {
      return Number(await this.scripts.rate.run(this.client, [new AppKeys(appId).rate], [perSecond]));
    } catch {
      return this.fallbackLimiter.take(appId, perSecond);
    }
  }

  /** A message without a position. While Redis is away it still reaches this node's own subscribers. */
  private async transient(
    appId: string,
    channel: string,
    json: string,
    excludeSocketId: string | undefined,
    event: string | undefined,
    cacheTtlMs: number | null,
  ): Promise<void> {
    const keys = new ChannelKeys(appId, channel);
    try {
      if (cacheTtlMs !== null) await this.client.set(keys.cache, json, 'PX', cacheTtlMs);
      await this.client.spublish(keys.shard, encodeFeedMessage(json, excludeSocketId, event));
    } catch {
      this.handlers?.deliver(appId, channel, new Outbound(json, undefined, channel, excludeSocketId, event));
    }
  }

  private onMessage(shard: string, payload: string): void {
    if (!this.fanout.receive(shard, payload)) this.control.receive(shard, payload);
  }

  private limitsOf(appId: string): StreamLimits {
    const app = this.options.findApp(appId);
    return app ? historyLimits(app) : { maxEvents: 0, maxAgeMs: 0 };
  }

  private async query<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw storeError(error);
    }
  }

  private async connected(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.client.status !== 'ready' && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    return this.client.status === 'ready';
  }

  private checkHealth(): void {
    const healthy = this.isHealthy();
    if (healthy === this.healthy) return;
    this.healthy = healthy;
    if (healthy) this.logger.info({ node: this.nodeId }, 'Redis available');
    else this.logger.warn({ node: this.nodeId }, 'Redis unavailable: this node reports not ready');
  }
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
