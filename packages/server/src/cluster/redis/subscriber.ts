/**
 * Sharded pub/sub for the node: one dedicated subscriber connection per Redis (per master, for Redis Cluster),
 * SSUBSCRIBEd to exactly the shard channels this node serves. A Redis Cluster then sends a channel's traffic only
 * to nodes that subscribed to it.
 *
 * Subscriptions are re-made by hand after a reconnect (not by ioredis), so that the node knows when they are active
 * again and can look for messages it missed meanwhile (`onResubscribed`).
 */
import type { Cluster, Redis } from 'ioredis';
import { AdapterUnavailableError } from '../adapter.js';
import { connectSubscriber, type RedisTarget } from './connect.js';
import { keySlot } from './keys.js';

export interface SubscriberEvents {
  onMessage(shardChannel: string, payload: string): void;
  /** The connection carrying these channels dropped: messages published from now on until re-subscribed are lost. */
  onLost(shardChannels: string[]): void;
  /** These channels are subscribed again after the connection carrying them was lost. */
  onResubscribed(shardChannels: string[]): void;
}

/** SSUBSCRIBE takes channels of one slot per command (Redis Cluster); chunks keep commands small. */
const CHUNK = 500;
/** How long a subscribe waits for a connecting subscriber before the store counts as unavailable. */
const READY_WAIT_MS = 2_000;

class ShardConnection {
  readonly channels = new Set<string>();
  ready = false;

  constructor(
    readonly redis: Redis,
    private readonly events: SubscriberEvents,
  ) {
    redis.on('smessage', (channel: string, payload: string) => events.onMessage(channel, payload));
    redis.on('ready', () => void this.resubscribe());
    redis.on('close', () => {
      if (!this.ready) return;
      this.ready = false;
      if (this.channels.size > 0) events.onLost([...this.channels]);
    });
    // Errors are reported through health and failed commands; an unhandled 'error' event would crash the node.
    redis.on('error', () => {});
  }

  private async resubscribe(): Promise<void> {
    const channels = [...this.channels];
    try {
      for (const group of bySlot(channels)) await this.redis.ssubscribe(...group);
    } catch {
      // The connection dropped again; the next 'ready' retries.
      return;
    }
    this.ready = true;
    if (channels.length > 0) this.events.onResubscribed(channels);
  }

  async add(channel: string): Promise<void> {
    this.channels.add(channel);
    if (!this.ready) await this.readyWithin(READY_WAIT_MS);
    if (!this.ready)
      throw new AdapterUnavailableError('the cluster store is unavailable (subscriber offline)');
    try {
      await this.redis.ssubscribe(channel);
    } catch (error) {
      throw new AdapterUnavailableError(`cannot subscribe to ${channel}`, { cause: error });
    }
  }

  /** A new connection, or one reconnecting after a blip, gets a moment before callers are refused. */
  private readyWithin(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        clearInterval(poll);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      const poll = setInterval(() => {
        if (this.ready) done();
      }, 10);
    });
  }

  async remove(channel: string): Promise<void> {
    if (!this.channels.delete(channel) || !this.ready) return;
    // Best effort: if it fails the connection is gone, and a new one subscribes only to `channels`.
    await this.redis.sunsubscribe(channel).catch(() => {});
  }
}

function bySlot(channels: string[]): string[][] {
  const groups = new Map<number, string[]>();
  for (const channel of channels) {
    const slot = keySlot(channel);
    const group = groups.get(slot);
    if (group) group.push(channel);
    else groups.set(slot, [channel]);
  }
  const chunks: string[][] = [];
  for (const group of groups.values()) {
    for (let start = 0; start < group.length; start += CHUNK) chunks.push(group.slice(start, start + CHUNK));
  }
  return chunks;
}

export class Subscriber {
  /** Connections by `host:port`. */
  private readonly connections = new Map<string, ShardConnection>();
  /** Channel → the connection it is subscribed on. */
  private readonly homes = new Map<string, ShardConnection>();
  /** Redis Cluster only: channels added before the slot map was known; placed on the next refresh. */
  private readonly unplaced = new Set<string>();

  constructor(
    private readonly target: RedisTarget,
    private readonly events: SubscriberEvents,
    /** For Redis Cluster: the command connection, whose slot map says which master serves a channel. */
    private readonly cluster: Cluster | null,
  ) {
    cluster?.on('refresh', () => void this.rehome());
  }

  /** Subscribes; resolves once Redis confirmed, so messages published from then on are received. */
  async add(channel: string): Promise<void> {
    const connection = this.connectionFor(channel);
    if (!connection) {
      this.unplaced.add(channel);
      throw new AdapterUnavailableError('the cluster store is unavailable (no slot map)');
    }
    this.homes.set(channel, connection);
    await connection.add(channel);
  }

  async remove(channel: string): Promise<void> {
    this.unplaced.delete(channel);
    const connection = this.homes.get(channel);
    this.homes.delete(channel);
    await connection?.remove(channel);
  }

  /** Every connection that carries channels is subscribed. */
  isReady(): boolean {
    for (const connection of this.connections.values()) {
      if (connection.channels.size > 0 && !connection.ready) return false;
    }
    return true;
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.connections.values()].map((connection) => connection.redis.quit().catch(() => {})),
    );
    for (const connection of this.connections.values()) connection.redis.disconnect();
    this.connections.clear();
    this.homes.clear();
  }

  private connectionFor(channel: string): ShardConnection | null {
    let address: { host: string; port: number } | undefined;
    if (this.cluster) {
      const owner = this.cluster.slots[keySlot(channel)]?.[0];
      if (!owner) return null;
      const colon = owner.lastIndexOf(':');
      address = { host: owner.slice(0, colon), port: Number(owner.slice(colon + 1)) };
    } else {
      address = this.target.seeds[0]!;
    }
    const key = `${address.host}:${address.port}`;
    let connection = this.connections.get(key);
    if (!connection) {
      connection = new ShardConnection(
        connectSubscriber(this.target, address.host, address.port),
        this.events,
      );
      this.connections.set(key, connection);
    }
    return connection;
  }

  /**
   * Redis Cluster's slot map was (re)loaded: place channels added before it was known, and move each channel
   * whose slot now lives elsewhere (resharding, failover) to that master's connection, treating it as
   * re-subscribed so missed messages are looked for.
   */
  private async rehome(): Promise<void> {
    for (const channel of this.unplaced) {
      if (!this.connectionFor(channel)) continue;
      this.unplaced.delete(channel);
      await this.add(channel).catch(() => {});
    }
    const moved: string[] = [];
    for (const [channel, current] of this.homes) {
      const next = this.connectionFor(channel);
      if (!next || next === current) continue;
      moved.push(channel);
      this.homes.set(channel, next);
      await current.remove(channel);
      await next.add(channel).catch(() => {});
    }
    if (moved.length > 0) {
      this.events.onLost(moved);
      this.events.onResubscribed(moved);
    }
  }
}
