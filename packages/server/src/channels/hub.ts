/**
 * This node's connections and subscriptions, and the local fan-out: the hot path.
 * `deliver` hands one shared `Outbound` to every local subscriber; nothing is serialized per subscriber.
 * Subscribers still catching up from history sit in `recovering` and get live messages buffered instead, so
 * recovery and live delivery meet with no gap and no duplicate.
 */

import type { Connection } from '../connections/connection.js';
import type { Outbound } from '../connections/outbound.js';
import type { ChannelType } from '../protocol/channels.js';
import { channelType } from '../protocol/channels.js';
import type { Position } from '../protocol/positions.js';

export class LocalChannel {
  readonly subscribers = new Set<Connection>();
  /** Connections subscribing right now, with the live messages that arrived meanwhile. */
  recovering: Map<Connection, Outbound[]> | null = null;
  /**
   * Subscribed connections that were sent history further than this node's live feed has reached (with Redis the
   * history read can run ahead of the pub/sub feed), with the position they hold: live messages up to it are
   * skipped for them, and the first newer one makes them ordinary subscribers.
   */
  catchingUp: Map<Connection, Position> | null = null;
  /** The position of the newest message delivered here, if any. */
  lastPosition: Position | null = null;
  readonly type: ChannelType;

  constructor(readonly name: string) {
    this.type = channelType(name);
  }

  get size(): number {
    return this.subscribers.size + (this.recovering?.size ?? 0) + (this.catchingUp?.size ?? 0);
  }
}

class AppState {
  readonly channels = new Map<string, LocalChannel>();
  readonly connections = new Map<string, Connection>();
  /** Signed-in user id → this node's connections signed in as that user. */
  readonly users = new Map<string, Set<Connection>>();
  /** Watched user id → this node's connections watching that user. */
  readonly watchers = new Map<string, Set<Connection>>();
}

export class Hub {
  private readonly apps = new Map<string, AppState>();
  private connectionCount = 0;
  private subscriptionCount = 0;

  constructor(private readonly onDelivered: (count: number) => void = () => {}) {}

  /** The hot path: one message, every local subscriber of the channel. Returns how many were sent to. */
  deliver(appId: string, channelName: string, message: Outbound): number {
    const channel = this.apps.get(appId)?.channels.get(channelName);
    if (!channel) return 0;
    const exclude = message.excludeSocketId;
    let count = 0;
    for (const connection of channel.subscribers) {
      if (connection.socketId === exclude) continue;
      connection.send(message);
      count++;
    }
    if (channel.recovering) {
      for (const [connection, buffered] of channel.recovering) {
        if (connection.socketId !== exclude) buffered.push(message);
      }
    }
    if (channel.catchingUp) count += deliverCatchingUp(channel, channel.catchingUp, message);
    if (message.position) channel.lastPosition = message.position;
    if (count > 0) this.onDelivered(count);
    return count;
  }

  addConnection(connection: Connection): void {
    this.app(connection.app.id).connections.set(connection.socketId, connection);
    this.connectionCount++;
  }

  removeConnection(connection: Connection): void {
    const app = this.apps.get(connection.app.id);
    if (app?.connections.delete(connection.socketId)) this.connectionCount--;
  }

  connection(appId: string, socketId: string): Connection | undefined {
    return this.apps.get(appId)?.connections.get(socketId);
  }

  *allConnections(): IterableIterator<Connection> {
    for (const app of this.apps.values()) yield* app.connections.values();
  }

  /**
   * Starts a subscription in the recovering state. Returns true when this is the node's first local subscriber
   * of the channel (the adapter must start listening to it).
   */
  beginSubscribe(connection: Connection, channelName: string): { channel: LocalChannel; first: boolean } {
    const app = this.app(connection.app.id);
    let channel = app.channels.get(channelName);
    const first = !channel;
    if (!channel) {
      channel = new LocalChannel(channelName);
      app.channels.set(channelName, channel);
    }
    channel.recovering ??= new Map();
    channel.recovering.set(connection, []);
    return { channel, first };
  }

  /**
   * Ends the recovering state of a connection that has been sent the channel's history up to `held`. Returns the
   * live messages buffered meanwhile that are newer than that, in order. The connection is live from then on; if
   * this node's live feed has not yet passed `held`, it waits in `catchingUp` so it never gets an event twice.
   */
  completeSubscribe(connection: Connection, channel: LocalChannel, held: Position): Outbound[] {
    const buffered = channel.recovering?.get(connection) ?? [];
    channel.recovering?.delete(connection);
    if (channel.recovering?.size === 0) channel.recovering = null;
    let through = held;
    const newer: Outbound[] = [];
    for (const message of buffered) {
      const position = message.position;
      if (position && isAtOrBefore(position, through)) continue;
      if (position) through = position;
      newer.push(message);
    }
    if (connection.closed) return newer;
    this.subscriptionCount++;
    if (!reached(channel.lastPosition, through)) {
      channel.catchingUp ??= new Map();
      channel.catchingUp.set(connection, through);
    } else {
      channel.subscribers.add(connection);
    }
    return newer;
  }

  /** Removes a subscriber; returns true when the node has no local subscriber of the channel left. */
  unsubscribe(connection: Connection, channelName: string): boolean {
    const app = this.apps.get(connection.app.id);
    const channel = app?.channels.get(channelName);
    if (!app || !channel) return false;
    if (channel.subscribers.delete(connection)) this.subscriptionCount--;
    else if (channel.catchingUp?.delete(connection)) this.subscriptionCount--;
    if (channel.catchingUp?.size === 0) channel.catchingUp = null;
    channel.recovering?.delete(connection);
    if (channel.recovering?.size === 0) channel.recovering = null;
    if (channel.size > 0) return false;
    app.channels.delete(channelName);
    return true;
  }

  localChannel(appId: string, channelName: string): LocalChannel | undefined {
    return this.apps.get(appId)?.channels.get(channelName);
  }

  addUser(connection: Connection, userId: string): void {
    addToIndex(this.app(connection.app.id).users, userId, connection);
  }

  removeUser(connection: Connection, userId: string): void {
    removeFromIndex(this.apps.get(connection.app.id)?.users, userId, connection);
  }

  userConnections(appId: string, userId: string): Connection[] {
    return [...(this.apps.get(appId)?.users.get(userId) ?? [])];
  }

  watch(connection: Connection, userIds: readonly string[]): void {
    const watchers = this.app(connection.app.id).watchers;
    for (const userId of userIds) addToIndex(watchers, userId, connection);
  }

  unwatch(connection: Connection, userIds: readonly string[]): void {
    const watchers = this.apps.get(connection.app.id)?.watchers;
    for (const userId of userIds) removeFromIndex(watchers, userId, connection);
  }

  watchersOf(appId: string, userId: string): ReadonlySet<Connection> {
    return this.apps.get(appId)?.watchers.get(userId) ?? EMPTY;
  }

  stats(): { connections: number; subscriptions: number; channels: number } {
    let channels = 0;
    for (const app of this.apps.values()) channels += app.channels.size;
    return { connections: this.connectionCount, subscriptions: this.subscriptionCount, channels };
  }

  private app(appId: string): AppState {
    let app = this.apps.get(appId);
    if (!app) {
      app = new AppState();
      this.apps.set(appId, app);
    }
    return app;
  }
}

const EMPTY: ReadonlySet<Connection> = new Set();

/** Delivers to the catching-up connections what they do not hold yet; returns how many were sent to. */
function deliverCatchingUp(
  channel: LocalChannel,
  catchingUp: Map<Connection, Position>,
  message: Outbound,
): number {
  const position = message.position;
  let count = 0;
  for (const [connection, held] of catchingUp) {
    if (connection.socketId === message.excludeSocketId) continue;
    if (position && isAtOrBefore(position, held)) continue;
    connection.send(message);
    count++;
    if (!position) continue;
    catchingUp.delete(connection);
    channel.subscribers.add(connection);
  }
  if (catchingUp.size === 0) channel.catchingUp = null;
  return count;
}

function isAtOrBefore(position: Position, held: Position): boolean {
  return position.epoch === held.epoch && position.serial <= held.serial;
}

/** Whether the feed at `last` has delivered `held` (a new epoch counts as past it). */
function reached(last: Position | null, held: Position): boolean {
  return last !== null && (last.epoch !== held.epoch || last.serial >= held.serial);
}

function addToIndex(index: Map<string, Set<Connection>>, key: string, connection: Connection): void {
  let set = index.get(key);
  if (!set) {
    set = new Set();
    index.set(key, set);
  }
  set.add(connection);
}

function removeFromIndex(
  index: Map<string, Set<Connection>> | undefined,
  key: string,
  connection: Connection,
): void {
  const set = index?.get(key);
  if (!set) return;
  set.delete(connection);
  if (set.size === 0) index?.delete(key);
}
