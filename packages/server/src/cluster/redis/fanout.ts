/**
 * The receiving side of fan-out: the channels this node listens to, and the order of what arrives for them.
 *
 * Redis delivers a channel's messages in serial order while the subscriber connection stays up. When it drops
 * (a blip, a Redis restart, a failover), messages published meanwhile never arrive. So each channel remembers the
 * last position it passed on; a message that skips serials, or a re-subscription after a reconnect, makes the
 * node read the gap from history and deliver it first (live messages wait meanwhile). When the gap cannot be read
 * (the epoch changed: Redis lost the stream; or it outran the history), the node cannot stand behind its local
 * subscribers' streams any more and asks for them to be reset: they reconnect and resume from their own
 * positions, and are told honestly whether that recovered.
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
  /** The last position passed on to this node's subscribers (or read by one of them), in this feed's epoch. */
  known: Position | null = null;
  /** Non-null while a gap is being read: live messages wait here, in arrival order. */
  held: FeedMessage[] | null = null;
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

  /** The subscription was re-made after the connection was lost: whatever was published meanwhile is owed. */
  resubscribed(shards: readonly string[]): void {
    for (const shard of shards) {
      const feed = this.feeds.get(shard);
      if (!feed || feed.held) continue;
      if (feed.known === null) {
        // Nothing passed on and nobody read a position: no local subscriber stands on a position to miss from.
        continue;
      }
      feed.held = [];
      void this.catchUp(feed);
    }
  }

  private accept(feed: Feed, message: FeedMessage): void {
    const position = message.position;
    const known = feed.known;
    if (position && known) {
      if (position.epoch !== known.epoch) {
        // The stream was recreated under this node's subscribers: what they stood on is gone.
        this.target.resetChannel(feed.appId, feed.channel);
      } else if (position.serial <= known.serial) {
        return; // already passed on (a gap read overlapped with live delivery)
      } else if (position.serial > known.serial + 1) {
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
    feed.held = null;
    feed.known = null;
    this.target.resetChannel(feed.appId, feed.channel);
  }

  /** Reads the gap after `known` from history, passes it on, then the held live messages. */
  private async catchUp(feed: Feed): Promise<void> {
    const since = feed.known!;
    let read: StreamRead;
    try {
      read = await this.target.read(feed.appId, feed.channel, since);
    } catch {
      // Redis is away again; try later (a re-subscription will also bring the node back here).
      setTimeout(() => {
        if (!feed.closed && feed.held) void this.catchUp(feed);
      }, RETRY_MS).unref();
      return;
    }
    if (feed.closed || !feed.held) return;
    if (read.ok) {
      for (const entry of read.entries) {
        const position = { epoch: read.position.epoch, serial: entry.serial };
        this.accept(feed, {
          excludeSocketId: entry.excludeSocketId,
          event: undefined,
          position,
          json: entry.json,
        });
      }
    } else {
      this.target.resetChannel(feed.appId, feed.channel);
      feed.known = read.position;
    }
    const held = feed.held;
    feed.held = null;
    for (const message of held) {
      if (feed.held) this.hold(feed, message);
      else this.accept(feed, message);
    }
  }
}
