/**
 * One client connection, whatever carries it. Transports differ only in the `Transport` they give it (how frames
 * go out, how it closes); messages coming in are fed to the protocol handler by the transport.
 *
 * Output is coalesced: messages are queued and each dirty connection is flushed once per event-loop turn, so
 * several events reach a socket in one write syscall under load. The queue holds shared `Outbound` objects, so
 * queueing costs one reference per subscriber, never a copy.
 */
import type { AppConfig } from '../apps/schema.js';
import type { Outbound } from './outbound.js';

export type TransportName = 'ws' | 'sse' | 'poll' | 'xhr_streaming' | 'xhr_polling';

export interface Transport {
  readonly name: TransportName;
  /**
   * Writes the queued messages, in order. Called at most once per event-loop turn per connection. The array is
   * reused by the connection afterwards: copy what must outlive the call.
   */
  flush(messages: Outbound | Outbound[]): void;
  /** Bytes handed to the transport but not yet taken by the kernel or the peer. */
  bufferedBytes(): number;
  /** Ends the connection, with a Pusher close code where the transport has one. Queued output goes first. */
  close(code: number, reason: string): void;
  /**
   * Called by the shared once-a-second sweep: heartbeats, poll timeouts. A transport that has one judges
   * liveness itself, and the sweep does not send it `pusher:ping`.
   */
  tick?(now: number): void;
}

export interface SignedInUser {
  id: string;
  userInfo?: unknown;
  watchlist: string[];
}

export interface Subscription {
  /** Counted in the adapter's subscription count (undo on unsubscribe). */
  counted?: boolean;
  /** The presence member this socket joined as. */
  presenceUserId?: string | number;
}

export class Connection {
  /** Subscribed channels; allocated on first subscribe so idle connections stay small. */
  subscriptions: Map<string, Subscription> | null = null;
  user: SignedInUser | null = null;
  /** Coarse clock (ms) of the last frame received. */
  lastSeen: number;
  /** When a server ping went out unanswered, else 0. */
  pingSentAt = 0;
  /** Signed in or joined an authorized channel (for apps that require it). */
  authorized = false;
  /** Counted against the app's connection quota. */
  reserved = false;
  closed = false;
  /** Client events sent in the current one-second window. */
  clientEventWindowStart = 0;
  clientEventCount = 0;
  /** Pending inbound work, so one connection's messages are handled strictly in order. */
  inbound: Promise<void> | null = null;
  /** Bytes of inbound messages queued behind `inbound`. */
  inboundWaiting = 0;

  /** The one message queued this turn: the common case, which needs no array. */
  private next: Outbound | null = null;
  /** Messages queued this turn when there are several; the array is kept and reused, so queueing allocates nothing. */
  private batch: Outbound[] | null = null;

  constructor(
    readonly socketId: string,
    readonly app: AppConfig,
    readonly transport: Transport,
    readonly connectedAt: number,
  ) {
    this.lastSeen = connectedAt;
  }

  /** Queues a message; the connection is flushed at the end of this event-loop turn. */
  send(message: Outbound): void {
    if (this.closed) return;
    const batch = this.batch;
    if (batch !== null && batch.length > 0) {
      batch.push(message);
      return;
    }
    const next = this.next;
    if (next === null) {
      this.next = message;
      scheduleFlush(this);
      return;
    }
    this.next = null;
    if (batch === null) this.batch = [next, message];
    else batch.push(next, message);
  }

  /** Writes what is queued now. Transports must not keep the array they are given. */
  flush(): void {
    const next = this.next;
    if (next !== null) {
      this.next = null;
      if (!this.closed) this.transport.flush(next);
      return;
    }
    const batch = this.batch;
    if (batch === null || batch.length === 0) return;
    try {
      if (!this.closed) this.transport.flush(batch);
    } finally {
      batch.length = 0;
    }
  }

  isSubscribed(channel: string): boolean {
    return this.subscriptions?.has(channel) ?? false;
  }
}

// ---- one flush per event-loop turn for every dirty connection ---------------------------------------------

let dirty: Connection[] = [];
let flushScheduled = false;
let onSlowConsumer: ((connection: Connection) => void) | null = null;
let maxBufferedBytes = Number.POSITIVE_INFINITY;

/** Set by the composition root: what to do with a connection whose unsent output passed the limit. */
export function configureBackpressure(limitBytes: number, handler: (connection: Connection) => void): void {
  maxBufferedBytes = limitBytes;
  onSlowConsumer = handler;
}

function scheduleFlush(connection: Connection): void {
  dirty.push(connection);
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flushAll);
}

export function flushAll(): void {
  flushScheduled = false;
  const connections = dirty;
  dirty = [];
  for (const connection of connections) {
    connection.flush();
    if (!connection.closed && connection.transport.bufferedBytes() > maxBufferedBytes)
      onSlowConsumer?.(connection);
  }
}
