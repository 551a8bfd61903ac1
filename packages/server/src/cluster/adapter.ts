/**
 * The Adapter hides single node versus cluster. Everything that must be consistent across nodes lives behind it:
 * positions and history, fan-out to the nodes that serve a channel, presence membership, subscription counts
 * (so occupancy and member webhooks fire once cluster-wide), cache channels, signed-in users, connection quotas.
 * It knows no transport types: it delivers rendered envelopes to the node through `AdapterHandlers`.
 *
 * When its store is unreachable, a method that answers a question or commits a client to a result (publish with
 * history, history, cached, counts, members, presenceJoin, addSubscription, terminateUser) throws
 * `AdapterUnavailableError`. Methods that record a departure (unlisten, removeSubscription, presenceLeave,
 * userOffline, releaseConnection) and userOnline, reserveConnection and takeRateToken never throw for that reason:
 * they record the change on this node and write it to the store when it is back. Transient messages (publish
 * without history, broadcast) then reach this node's own subscribers only.
 *
 * Implementations: `local.ts` (in memory, one node) and `redis.ts` (many nodes).
 */

import type { HistoryRead, StreamLimits } from '../channels/history.js';
import type { Outbound } from '../connections/outbound.js';
import type { Position } from '../protocol/positions.js';

/** What the adapter calls on this node. */
export interface AdapterHandlers {
  /** Deliver a message to this node's local subscribers of a channel. */
  deliver(appId: string, channel: string, message: Outbound): void;
  /** Close this node's connections signed in as `userId`. */
  terminateUser(appId: string, userId: string): void;
  /** A user came online (first signed-in socket cluster-wide) or went offline (last one left). */
  userPresenceChanged(appId: string, userId: string, online: boolean): void;
  /**
   * A presence member left without its own node announcing it (that node crashed, or lost the cluster store
   * while the socket closed): this node was chosen, exactly once cluster-wide, to send `member_removed` and the
   * webhook. The local adapter never calls it.
   */
  memberLeft(appId: string, channel: string, member: PresenceMember): void;
  /** Like `memberLeft`, for the last subscription of a channel: send the `channel_vacated` webhook. */
  channelVacated(appId: string, channel: string): void;
  /**
   * This node's subscribers of the channel may have missed messages that cannot be delivered any more (the
   * channel's history was lost or outran): close them with a reconnect code so they resume from their own last
   * position and learn, honestly, whether it was recovered.
   */
  resetChannel(appId: string, channel: string): void;
  /** The cluster declared this node dead (or lost its state): close every local connection so clients rejoin. */
  resetConnections(): void;
}

/**
 * The adapter cannot reach the store it needs (Redis down). Callers answer with a retryable refusal (HTTP 503,
 * a subscription error with status 503) instead of a result they cannot stand behind.
 */
export class AdapterUnavailableError extends Error {
  constructor(message = 'the cluster store is unavailable', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AdapterUnavailableError';
  }
}

export interface PublishEvent {
  name: string;
  /** Passed through as published: a string from the HTTP API, any JSON value from a client event. */
  data: unknown;
  excludeSocketId?: string;
  /** Presence client events carry the sender's user id. */
  userId?: string | number;
  /** Publisher-assigned event id (extension), passed through as the envelope's `id`. */
  id?: string;
}

/** The envelope fields an event carries besides event, channel and data (position excluded). */
export function envelopeExtras(event: PublishEvent): { userId?: string | number; id?: string } {
  if (event.userId === undefined && event.id === undefined) return {};
  const extras: { userId?: string | number; id?: string } = {};
  if (event.userId !== undefined) extras.userId = event.userId;
  if (event.id !== undefined) extras.id = event.id;
  return extras;
}

export interface PublishOptions {
  /** Assign a position and keep the event for recovery. */
  history: StreamLimits | null;
  /** Remember the event as the channel's cached event for this many ms (cache channels). */
  cacheTtlMs: number | null;
}

export interface PresenceMember {
  userId: string | number;
  userInfo?: unknown;
}

export interface PresenceJoin {
  /** True when this socket is the user's first on the channel: announce `member_added`. */
  firstForUser: boolean;
  /** Every member, the joiner included, deduplicated by user id. */
  members: PresenceMember[];
}

export interface ChannelCounts {
  subscriptionCount: number;
  /** Distinct presence users (presence channels only). */
  userCount?: number;
}

export interface CachedEvent {
  /** The envelope as delivered live. */
  json: string;
  expiresAt: number;
}

export interface Adapter {
  readonly nodeId: string;

  start(handlers: AdapterHandlers): Promise<void>;
  stop(): Promise<void>;
  /** False while the adapter cannot serve (Redis down). */
  isHealthy(): boolean;

  /** Publish to every subscriber on every node. With `history`, assigns the position atomically with the append. */
  publish(
    appId: string,
    channel: string,
    event: PublishEvent,
    options: PublishOptions,
  ): Promise<Position | null>;
  /** Send a transient envelope (no position, no history) to every node's subscribers of a channel. */
  broadcast(appId: string, channel: string, json: string, excludeSocketId?: string): Promise<void>;
  /** Events after `since` (or the newest ones when null), with the stream's current position. */
  history(
    appId: string,
    channel: string,
    limits: StreamLimits,
    since: Position | null,
    limit?: number,
  ): Promise<HistoryRead>;
  cached(appId: string, channel: string): Promise<CachedEvent | null>;

  /** This node gained its first / lost its last local subscriber of a channel: start / stop receiving its traffic. */
  listen(appId: string, channel: string): Promise<void>;
  unlisten(appId: string, channel: string): Promise<void>;

  /** A socket subscribed / unsubscribed; returns the cluster-wide subscription count afterwards. */
  addSubscription(appId: string, channel: string, socketId: string): Promise<number>;
  removeSubscription(appId: string, channel: string, socketId: string): Promise<number>;

  presenceJoin(
    appId: string,
    channel: string,
    socketId: string,
    member: PresenceMember,
  ): Promise<PresenceJoin>;
  /** Returns true when that was the user's last socket on the channel: announce `member_removed`. */
  presenceLeave(appId: string, channel: string, socketId: string, userId: string | number): Promise<boolean>;
  presenceMembers(appId: string, channel: string): Promise<PresenceMember[]>;

  channelCounts(appId: string, channel: string): Promise<ChannelCounts>;
  /** Occupied channels (optionally filtered by prefix) with their counts. */
  occupiedChannels(appId: string, prefix?: string): Promise<Map<string, ChannelCounts>>;

  /** A socket signed in as / left as a user; returns true on the user's first / last socket cluster-wide. */
  userOnline(appId: string, userId: string, socketId: string): Promise<boolean>;
  userOffline(appId: string, userId: string, socketId: string): Promise<boolean>;
  onlineUsers(appId: string, userIds: readonly string[]): Promise<Set<string>>;
  /** Close every connection signed in as `userId`, on every node. */
  terminateUser(appId: string, userId: string): Promise<void>;

  /** Count a new connection against the app's quota; false when the app is at `limit` (0 = unlimited). */
  reserveConnection(appId: string, socketId: string, limit: number): Promise<boolean>;
  releaseConnection(appId: string, socketId: string): Promise<void>;

  /**
   * Takes one token from the app's HTTP API bucket (`perSecond` tokens, refilled continuously; 0 = unlimited),
   * shared by every node. Returns 0 when allowed, else the whole seconds to wait before retrying.
   */
  takeRateToken(appId: string, perSecond: number): Promise<number>;
}
