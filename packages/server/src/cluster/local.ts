/**
 * The in-memory adapter: one node, no other service. Everything is synchronous underneath, so publish, history
 * append and delivery happen in one step and can never interleave.
 */
import type { Logger } from 'pino';
import { historyLimits } from '../apps/limits.js';
import type { AppConfig } from '../apps/schema.js';
import { type HistoryRead, HistoryStore, type StreamLimits } from '../channels/history.js';
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

interface PresenceUser {
  member: PresenceMember;
  sockets: Set<string>;
}

const SEPARATOR = '\u0000';
const HISTORY_SWEEP_MS = 10_000;

export class LocalAdapter implements Adapter {
  readonly nodeId = 'local';
  private handlers: AdapterHandlers | null = null;
  private readonly streams: HistoryStore;
  /** app␀channel → subscription count */
  private readonly subscriptions = new Map<string, number>();
  /** app␀channel → user key → presence user */
  private readonly presence = new Map<string, Map<string, PresenceUser>>();
  private readonly cache = new Map<string, CachedEvent>();
  /** app → user id → socket ids */
  private readonly users = new Map<string, Map<string, Set<string>>>();
  private readonly connections = new Map<string, number>();
  private readonly rateLimiter = new RateLimiter();

  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(
    historyMemoryBytes: number,
    private readonly findApp: (appId: string) => AppConfig | undefined,
    _logger?: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.streams = new HistoryStore(historyMemoryBytes, now);
  }

  async start(handlers: AdapterHandlers): Promise<void> {
    this.handlers = handlers;
    // Expired history is dropped on every append and read; the sweep frees idle channels' memory too.
    this.sweepTimer = setInterval(() => this.sweepHistory(), HISTORY_SWEEP_MS);
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    this.handlers = null;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  isHealthy(): boolean {
    return true;
  }

  historyStats(): ReturnType<HistoryStore['stats']> {
    return this.streams.stats();
  }

  sweepHistory(): void {
    this.streams.sweep((key) => {
      const app = this.findApp(key.slice(0, key.indexOf(SEPARATOR)));
      return app ? historyLimits(app) : { maxEvents: 0, maxAgeMs: 0 };
    });
  }

  async publish(
    appId: string,
    channel: string,
    event: PublishEvent,
    options: PublishOptions,
  ): Promise<Position | null> {
    const key = appId + SEPARATOR + channel;
    const extra = envelopeExtras(event);
    let message: Outbound;
    if (options.history) {
      const { position, entry } = this.streams.append(key, options.history, (at) =>
        channelEvent(event.name, channel, event.data, { ...extra, position: at }),
      );
      message = new Outbound(entry.json, position, channel, event.excludeSocketId, event.name);
      entry.message = message;
    } else {
      message = new Outbound(
        channelEvent(event.name, channel, event.data, extra),
        undefined,
        channel,
        event.excludeSocketId,
        event.name,
      );
    }
    if (options.cacheTtlMs !== null) {
      this.cache.set(key, { json: message.json, expiresAt: this.now() + options.cacheTtlMs });
    }
    this.handlers?.deliver(appId, channel, message);
    return message.position ?? null;
  }

  async broadcast(appId: string, channel: string, json: string, excludeSocketId?: string): Promise<void> {
    this.handlers?.deliver(appId, channel, new Outbound(json, undefined, channel, excludeSocketId));
  }

  async history(
    appId: string,
    channel: string,
    limits: StreamLimits,
    since: Position | null,
    limit?: number,
  ): Promise<HistoryRead> {
    return this.streams.read(appId + SEPARATOR + channel, limits, since, limit);
  }

  async cached(appId: string, channel: string): Promise<CachedEvent | null> {
    const key = appId + SEPARATOR + channel;
    const entry = this.cache.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= this.now()) {
      this.cache.delete(key);
      return null;
    }
    return entry;
  }

  async listen(): Promise<void> {}

  async unlisten(): Promise<void> {}

  async addSubscription(appId: string, channel: string): Promise<number> {
    const key = appId + SEPARATOR + channel;
    const count = (this.subscriptions.get(key) ?? 0) + 1;
    this.subscriptions.set(key, count);
    return count;
  }

  async removeSubscription(appId: string, channel: string): Promise<number> {
    const key = appId + SEPARATOR + channel;
    const count = Math.max(0, (this.subscriptions.get(key) ?? 0) - 1);
    if (count === 0) this.subscriptions.delete(key);
    else this.subscriptions.set(key, count);
    return count;
  }

  async presenceJoin(
    appId: string,
    channel: string,
    socketId: string,
    member: PresenceMember,
  ): Promise<PresenceJoin> {
    const key = appId + SEPARATOR + channel;
    let users = this.presence.get(key);
    if (!users) {
      users = new Map();
      this.presence.set(key, users);
    }
    const userKey = String(member.userId);
    const existing = users.get(userKey);
    if (existing) {
      existing.sockets.add(socketId);
      existing.member = member;
    } else {
      users.set(userKey, { member, sockets: new Set([socketId]) });
    }
    return { firstForUser: !existing, members: [...users.values()].map((user) => user.member) };
  }

  async presenceLeave(
    appId: string,
    channel: string,
    socketId: string,
    userId: string | number,
  ): Promise<boolean> {
    const key = appId + SEPARATOR + channel;
    const users = this.presence.get(key);
    const user = users?.get(String(userId));
    if (!users || !user) return false;
    user.sockets.delete(socketId);
    if (user.sockets.size > 0) return false;
    users.delete(String(userId));
    if (users.size === 0) this.presence.delete(key);
    return true;
  }

  async presenceMembers(appId: string, channel: string): Promise<PresenceMember[]> {
    const users = this.presence.get(appId + SEPARATOR + channel);
    return users ? [...users.values()].map((user) => user.member) : [];
  }

  async channelCounts(appId: string, channel: string): Promise<ChannelCounts> {
    const key = appId + SEPARATOR + channel;
    const counts: ChannelCounts = { subscriptionCount: this.subscriptions.get(key) ?? 0 };
    if (channel.startsWith('presence-')) counts.userCount = this.presence.get(key)?.size ?? 0;
    return counts;
  }

  async occupiedChannels(appId: string, prefix = ''): Promise<Map<string, ChannelCounts>> {
    const result = new Map<string, ChannelCounts>();
    const appPrefix = appId + SEPARATOR;
    for (const [key, count] of this.subscriptions) {
      if (!key.startsWith(appPrefix)) continue;
      const channel = key.slice(appPrefix.length);
      if (!channel.startsWith(prefix)) continue;
      const counts: ChannelCounts = { subscriptionCount: count };
      if (channel.startsWith('presence-')) counts.userCount = this.presence.get(key)?.size ?? 0;
      result.set(channel, counts);
    }
    return result;
  }

  async userOnline(appId: string, userId: string, socketId: string): Promise<boolean> {
    let users = this.users.get(appId);
    if (!users) {
      users = new Map();
      this.users.set(appId, users);
    }
    let sockets = users.get(userId);
    const first = !sockets;
    if (!sockets) {
      sockets = new Set();
      users.set(userId, sockets);
    }
    sockets.add(socketId);
    if (first) this.handlers?.userPresenceChanged(appId, userId, true);
    return first;
  }

  async userOffline(appId: string, userId: string, socketId: string): Promise<boolean> {
    const users = this.users.get(appId);
    const sockets = users?.get(userId);
    if (!users || !sockets) return false;
    sockets.delete(socketId);
    if (sockets.size > 0) return false;
    users.delete(userId);
    this.handlers?.userPresenceChanged(appId, userId, false);
    return true;
  }

  async onlineUsers(appId: string, userIds: readonly string[]): Promise<Set<string>> {
    const users = this.users.get(appId);
    return new Set(userIds.filter((id) => users?.has(id)));
  }

  async terminateUser(appId: string, userId: string): Promise<void> {
    this.handlers?.terminateUser(appId, userId);
  }

  async reserveConnection(appId: string, _socketId: string, limit: number): Promise<boolean> {
    const count = this.connections.get(appId) ?? 0;
    if (limit > 0 && count >= limit) return false;
    this.connections.set(appId, count + 1);
    return true;
  }

  async releaseConnection(appId: string): Promise<void> {
    const count = (this.connections.get(appId) ?? 1) - 1;
    if (count <= 0) this.connections.delete(appId);
    else this.connections.set(appId, count);
  }

  async takeRateToken(appId: string, perSecond: number): Promise<number> {
    return this.rateLimiter.take(appId, perSecond, this.now());
  }
}
