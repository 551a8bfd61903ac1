/**
 * The receiving side of fan-out: the channels this node listens to, and the order of what arrives for them.
 *
 * Redis delivers a channel's messages in serial order while the subscriber connection stays up. When it drops
 * (a blip, a Redis restart, a failover), messages published meanwhile never arrive. So each channel remembers the
 * last position it passed on. From the moment the connection drops, live messages are held; once it is
 * subscribed again (or when a message skips serials) the node reads the gap from history and passes it on first.
 * When the gap cannot be read (the epoch changed: Redis lost the stream; or it outran the history), the node
 * cannot stand behind its subscribers' streams any more and has them reset: they reconnect and resume from their
 * own positions, and are told honestly whether that recovered.
 *
 * A new epoch arriving while the connection stayed up is adopted, as on a single node: the stream was recreated
 * (forgotten when idle, evicted), and every event of it came through this connection.
 */
import { Outbound } from '../../connections/outbound.js';
import type { Position } from '../../protocol/positions.js';
import { decodeFeedMessage, type FeedMessage, type StreamRead } from './streams.js';

export interface FanoutTarget {
  deliver(appId: string, channel: string, message: Outbound): void;
  resetChannel(appId: string, channel: string): void;
  /** History of a channel after a position (the app's limits are looked up by the caller). */
  read(appId: string, channel: string, since: Position): Promise<StreamRead>;
}

/** Live messages held while a gap is read; past this the channel is reset instead of buffering without bound. */
const MAX_HELD = 10_000;
const RETRY_MS = 1_000;

class Feed {
  /** The last position passed on to this node's subscribers (or read by one of them). */
  known: Position | null = null;
  /** Non-null while live messages must wait (connection lost, or a gap being read), in arrival order. */
  held: FeedMessage[] | null = null;
  /** The connection dropped and is not subscribed again yet: hold, and read the gap once it is. */
  lost = false;
  catchingUp = false;
  /** Re-subscribed while a read was under way: that read may predate the loss, so read once more. */
  owed = false;
  closed = false;

  constructor(
    readonly appId: string,
    readonly channel: string,
  ) {}
}

export class Fanout {
  private readonly feeds = new Map<string, Feed>();

  constructor(private readonly target: FanoutTarget) {}

  open(shard: string, appId: string, channel: string): void {
    if (!this.feeds.has(shard)) this.feeds.set(shard, new Feed(appId, channel));
  }

  close(shard: string): void {
    const feed = this.feeds.get(shard);
    if (feed) feed.closed = true;
    this.feeds.delete(shard);
  }

  /** A subscriber on this node read the channel's position right after listening: nothing before it is owed. */
  noteRead(shard: string, position: Position): void {
    const feed = this.feeds.get(shard);
    if (feed && feed.known === null && feed.held === null) feed.known = position;
  }

  receive(shard: string, payload: string): boolean {
    const feed = this.feeds.get(shard);
    if (!feed) return false;
    const message = decodeFeedMessage(payload);
    if (!message) return true;
    if (feed.held) this.hold(feed, message);
    else this.accept(feed, message);
    return true;
  }

  /** The connection carrying these channels dropped: whatever is published until it is back is missed. */
  lost(shards: readonly string[]): void {
    for (const shard of shards) {
      const feed = this.feeds.get(shard);
      if (!feed) continue;
      feed.lost = true;
      feed.held ??= [];
    }
  }

  /** The subscriptions are active again: read what was missed, then pass on what arrived since. */
  resubscribed(shards: readonly string[]): void {
    for (const shard of shards) {
      const feed = this.feeds.get(shard);
      if (!feed?.lost) continue;
      feed.lost = false;
      if (feed.catchingUp) feed.owed = true;
      else void this.catchUp(feed);
    }
  }

  private accept(feed: Feed, message: FeedMessage): void {
    const { position } = message;
    const known = feed.known;
    if (position && known && position.epoch === known.epoch) {
      if (position.serial <= known.serial) return; // already passed on (a gap read overlapped live delivery)
      if (position.serial > known.serial + 1) {
        feed.held = [message];
        void this.catchUp(feed);
        return;
      }
    }
    if (position) feed.known = position;
    this.target.deliver(
      feed.appId,
      feed.channel,
      new Outbound(message.json, position, feed.channel, message.excludeSocketId, message.event),
    );
  }

  private hold(feed: Feed, message: FeedMessage): void {
    feed.held!.push(message);
    if (feed.held!.length <= MAX_HELD) return;
    feed.held = feed.lost ? [] : null;
    feed.known = null;
    this.target.resetChannel(feed.appId, feed.channel);
  }

  /** Reads the gap after `known` from history, passes it on, then the held live messages. */
  private async catchUp(feed: Feed): Promise<void> {
    feed.catchingUp = true;
    const since = feed.known;
    let read: StreamRead | null = null;
    if (since) {
      try {
        read = await this.target.read(feed.appId, feed.channel, since);
      } catch {
        // Redis is away again; retry (a re-subscription also brings the node back here).
        feed.catchingUp = false;
        setTimeout(() => {
          if (!feed.closed && !feed.lost && feed.held && !feed.catchingUp) void this.catchUp(feed);
        }, RETRY_MS).unref();
        return;
      }
    }
    feed.catchingUp = false;
    if (feed.closed || !feed.held) return;
    if (read?.ok) {
      for (const entry of read.entries) {
        const position = { epoch: read.position.epoch, serial: entry.serial };
        this.deliverEntry(feed, {
          excludeSocketId: entry.excludeSocketId,
          event: undefined,
          position,
          json: entry.json,
        });
      }
    } else if (read) {
      this.target.resetChannel(feed.appId, feed.channel);
      feed.known = read.position;
    }
    // Lost again while reading: keep holding until the next re-subscription reads on from here.
    if (feed.lost) return;
    if (feed.owed) {
      feed.owed = false;
      return this.catchUp(feed);
    }
    const held = feed.held;
    feed.held = null;
    for (const message of held) {
      if (feed.held) this.hold(feed, message);
      else this.accept(feed, message);
    }
  }

  private deliverEntry(feed: Feed, message: FeedMessage): void {
    feed.known = message.position!;
    this.target.deliver(
      feed.appId,
      feed.channel,
      new Outbound(message.json, message.position, feed.channel, message.excludeSocketId),
    );
  }
}
