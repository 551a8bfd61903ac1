/**
 * This node's shares of the cluster-wide counts: subscriptions per channel, sockets per presence user, sockets per
 * signed-in user, connections per app. Redis holds the totals (share.lua); this node also keeps its own shares in
 * memory, socket by socket. That copy is the truth about this node: after Redis was unreachable (writes lost or
 * unknown) or came back empty, `resync` writes it back as absolute values, so the totals heal without any node
 * having to remember what failed.
 */
import type { PresenceMember } from '../adapter.js';
import { AppKeys, ChannelKeys, shareKey } from './keys.js';
import { type RedisClient, type Scripts, storeError } from './scripts.js';

export type ShareKind = 'subs' | 'presence' | 'users' | 'conns';

/** Which count: a kind, an app, a channel for channel-scoped kinds, a field (a user id, or `n`). */
export interface ShareTarget {
  kind: ShareKind;
  appId: string;
  channel?: string;
  field: string;
}

interface Share extends ShareTarget {
  totals: string;
  members: string | undefined;
  sockets: Set<string>;
  /** Presence: the member JSON stored while the user is present. */
  member: string;
}

export interface JoinOptions {
  /** Refuse an increase past this total (0 = no limit). */
  limit?: number;
  /** Presence: the member JSON to store. */
  member?: string;
  /** Presence: return every member's JSON. */
  wantMembers?: boolean;
  /** Keep the socket when Redis is away (written by the next resync) instead of undoing and throwing. */
  keep?: boolean;
}

export interface ShareChange {
  before: number;
  /** -1 when the limit refused the change. */
  after: number;
  members: string[];
}

/** A total that a resync moved across zero: announced by the node that moved it. */
export interface ShareTransition extends ShareTarget {
  before: number;
  after: number;
  member: string;
}

const SEPARATOR = '\u0000';

export const subscriptionsOf = (appId: string, channel: string): ShareTarget => ({
  kind: 'subs',
  appId,
  channel,
  field: 'n',
});
export const presenceOf = (appId: string, channel: string, userId: string | number): ShareTarget => ({
  kind: 'presence',
  appId,
  channel,
  field: String(userId),
});
export const usersOf = (appId: string, userId: string): ShareTarget => ({
  kind: 'users',
  appId,
  field: userId,
});
export const connectionsOf = (appId: string): ShareTarget => ({ kind: 'conns', appId, field: 'n' });

/** A presence member as stored in Redis (`{"user_id":…,"user_info":…}`), keeping a number id a number. */
export function memberJson(member: PresenceMember): string {
  return JSON.stringify({ user_id: member.userId, user_info: member.userInfo });
}

/** A stored presence member, or nothing for an unreadable entry. */
export function parseMember(json: string): PresenceMember[] {
  try {
    const { user_id: userId, user_info: userInfo } = JSON.parse(json) as {
      user_id: string | number;
      user_info?: unknown;
    };
    return [userInfo === undefined ? { userId } : { userId, userInfo }];
  } catch {
    return [];
  }
}

export function targetKeys(target: Omit<ShareTarget, 'field'>): {
  totals: string;
  members: string | undefined;
} {
  if (target.kind === 'subs')
    return { totals: new ChannelKeys(target.appId, target.channel!).subs, members: undefined };
  if (target.kind === 'presence') {
    const keys = new ChannelKeys(target.appId, target.channel!);
    return { totals: keys.presence, members: keys.members };
  }
  const app = new AppKeys(target.appId);
  return { totals: target.kind === 'users' ? app.users : app.connections, members: undefined };
}

export class Shares {
  private readonly shares = new Map<string, Share>();
  /** app␀channel → how many of this node's shares are on that channel (the node's channel index). */
  private readonly channelShares = new Map<string, number>();
  /** A write failed or was left unknown: the next healthy heartbeat runs `resync`. */
  dirty = false;

  constructor(
    private readonly client: RedisClient,
    private readonly scripts: Scripts,
    private readonly nodeId: () => string,
  ) {}

  /**
   * Adds a socket to a share. When Redis is away it throws `AdapterUnavailableError` having undone the change, or
   * with `keep` records it for the next resync and returns null.
   */
  async join(
    target: ShareTarget,
    socketId: string,
    options: JoinOptions & { keep: true },
  ): Promise<ShareChange | null>;
  async join(target: ShareTarget, socketId: string, options?: JoinOptions): Promise<ShareChange>;
  async join(target: ShareTarget, socketId: string, options: JoinOptions = {}): Promise<ShareChange | null> {
    // Only channel shares touch Redis when opened, and those are never kept (`keep` is for users and connections).
    const share = await this.open(target);
    const added = !share.sockets.has(socketId);
    share.sockets.add(socketId);
    if (options.member !== undefined) share.member = options.member;
    try {
      const change = await this.write(share, 'd', added ? 1 : 0, options.limit ?? 0, options.wantMembers);
      if (change.after < 0 && added) await this.leaveLocally(share, socketId);
      return change;
    } catch (error) {
      if (options.keep) {
        this.dirty = true;
        return null;
      }
      if (added) await this.leaveLocally(share, socketId);
      throw storeError(error);
    }
  }

  /** Removes a socket from a share. Never throws: returns null when Redis could not be told (resync will). */
  async leave(target: ShareTarget, socketId: string): Promise<ShareChange | null> {
    const share = this.shares.get(this.keyOf(target));
    if (!share?.sockets.delete(socketId)) return null;
    try {
      const change = await this.write(share, 'd', -1, 0, false);
      await this.closeIfEmpty(share);
      return change;
    } catch {
      this.dirty = true;
      return null;
    }
  }

  /** This node's own count (used when Redis cannot be asked). */
  localCount(target: ShareTarget): number {
    return this.shares.get(this.keyOf(target))?.sockets.size ?? 0;
  }

  /** Writes every share as an absolute value; returns the totals that crossed zero. Throws if Redis is away. */
  async resync(): Promise<ShareTransition[]> {
    this.dirty = false;
    const transitions: ShareTransition[] = [];
    try {
      // Sent together: ioredis pipelines them, so a node with many shares resyncs in a few round trips.
      await Promise.all(
        [...this.channelShares.keys()].map((key) => {
          const [appId, channel] = key.split(SEPARATOR) as [string, string];
          return this.client.sadd(new AppKeys(appId).channelsOf(this.nodeId()), channel);
        }),
      );
      await Promise.all(
        [...this.shares.values()].map(async (share) => {
          const change = await this.write(share, 's', share.sockets.size, 0, false);
          if ((change.before === 0) !== (change.after === 0)) {
            transitions.push({
              ...this.targetOf(share),
              before: change.before,
              after: change.after,
              member: share.member,
            });
          }
          await this.closeIfEmpty(share);
        }),
      );
    } catch (error) {
      this.dirty = true;
      throw storeError(error);
    }
    return transitions;
  }

  /** Forgets every share (this node's id is retired); returns what it held, so it can be dropped in Redis. */
  clear(): ShareTarget[] {
    const targets = [...this.shares.values()].map((share) => this.targetOf(share));
    this.shares.clear();
    this.channelShares.clear();
    this.dirty = false;
    return targets;
  }

  isEmpty(): boolean {
    return this.shares.size === 0;
  }

  private keyOf(target: ShareTarget): string {
    return `${target.kind}${SEPARATOR}${target.appId}${SEPARATOR}${target.channel ?? ''}${SEPARATOR}${target.field}`;
  }

  private targetOf(share: Share): ShareTarget {
    const { kind, appId, channel, field } = share;
    return channel === undefined ? { kind, appId, field } : { kind, appId, channel, field };
  }

  /** Finds or creates a share; a new channel share is indexed under this node first. */
  private async open(target: ShareTarget): Promise<Share> {
    const key = this.keyOf(target);
    const existing = this.shares.get(key);
    if (existing) return existing;
    const { totals, members } = targetKeys(target);
    const share: Share = { ...target, totals, members, sockets: new Set(), member: '' };
    this.shares.set(key, share);
    if (target.channel !== undefined) {
      // Index the channel under this node before any share exists in Redis, so a crash can always be cleaned up.
      const channelKey = target.appId + SEPARATOR + target.channel;
      const count = (this.channelShares.get(channelKey) ?? 0) + 1;
      this.channelShares.set(channelKey, count);
      if (count === 1) {
        try {
          await this.client.sadd(new AppKeys(target.appId).channelsOf(this.nodeId()), target.channel);
        } catch (error) {
          await this.closeIfEmpty(share);
          throw storeError(error);
        }
      }
    }
    return share;
  }

  private async leaveLocally(share: Share, socketId: string): Promise<void> {
    share.sockets.delete(socketId);
    await this.closeIfEmpty(share);
  }

  private async closeIfEmpty(share: Share): Promise<void> {
    const key = this.keyOf(share);
    if (share.sockets.size > 0 || this.shares.get(key) !== share) return;
    this.shares.delete(key);
    if (share.channel === undefined) return;
    const channelKey = share.appId + SEPARATOR + share.channel;
    const count = (this.channelShares.get(channelKey) ?? 1) - 1;
    if (count > 0) {
      this.channelShares.set(channelKey, count);
      return;
    }
    this.channelShares.delete(channelKey);
    try {
      await this.client.srem(new AppKeys(share.appId).channelsOf(this.nodeId()), share.channel);
    } catch {
      // A stale index entry only costs the cleanup of a dead node one empty lookup.
    }
  }

  private async write(
    share: Share,
    mode: 'd' | 's',
    value: number,
    limit: number,
    wantMembers = false,
  ): Promise<ShareChange> {
    const keys = [share.totals, shareKey(share.totals, this.nodeId())];
    const args: Array<string | number> = [mode, share.field, value, limit];
    if (share.members) {
      keys.push(share.members);
      args.push(share.member, wantMembers ? '1' : '0');
    }
    const reply = await this.scripts.share.run(this.client, keys, args);
    if (!Array.isArray(reply)) throw new Error(`share.lua answered ${JSON.stringify(reply)}, not a list`);
    const [before, after, ...members] = reply as [number, number, ...string[]];
    return { before: Number(before), after: Number(after), members };
  }
}
