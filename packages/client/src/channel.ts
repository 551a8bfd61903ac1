/**
 * A subscribed channel: bind callbacks to its events, trigger client events, read presence members. Events
 * carry their stream position; the channel's tracker drops any serial already delivered (docs/protocol.md §2.4).
 */
import { channelType } from '../../server/src/protocol/channels.js';
import { type Callback, Emitter, type EventMeta } from './emitter.js';
import { Members } from './members.js';
import { PositionTracker } from './tracker.js';
import { type Envelope, internalData } from './transports/types.js';

/** What a channel needs from its client. */
export interface ChannelHost {
  send(message: Envelope): boolean;
  listen(event: string): void;
}

/** Payload of a channel's `recovery_failed` event. */
export interface RecoveryFailure {
  /** `epoch_changed`, `too_old` or `invalid_position` (docs/protocol.md §2.3). */
  reason: string;
  /** The position live delivery continues after. */
  position: string;
}

/** `data` as callbacks get it: parsed JSON when the published string is JSON, else the string itself. */
export function parseData(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

export class Channel extends Emitter {
  /** True once the server confirmed the subscription on the current connection. */
  subscribed = false;
  /** True while a subscribe (or its auth request) is in flight. */
  subscriptionPending = false;
  /** Presence channels: the member list (empty on other channels). */
  readonly members = new Members();
  /** @internal */
  readonly tracker: PositionTracker;

  constructor(
    readonly name: string,
    private readonly host: ChannelHost,
    resumeFrom?: string | null,
  ) {
    super();
    this.tracker = new PositionTracker(resumeFrom);
  }

  override bind(event: string, callback: Callback): this {
    this.host.listen(event);
    return super.bind(event, callback);
  }

  /**
   * Sends a client event (name starting with `client-`) to the other subscribers of this private or presence
   * channel. Returns false when it cannot be sent (wrong name or channel kind, not subscribed, not connected).
   */
  trigger(event: string, data?: unknown): boolean {
    if (!event.startsWith('client-') || !channelType(this.name).allowsClientEvents || !this.subscribed) {
      return false;
    }
    return this.host.send({ event, channel: this.name, data: data ?? {} });
  }

  /** @internal One message for this channel; `target` receives its events (the user's channel forwards them). */
  handle(envelope: Envelope, target: Emitter = this): void {
    const { event } = envelope;
    switch (event) {
      case 'pusher_internal:subscription_succeeded':
        this.succeeded(internalData(envelope));
        return;
      case 'pusher:subscription_error':
        this.subscriptionPending = false;
        this.emit(event, parseData(envelope.data));
        return;
      case 'pusher_internal:member_added': {
        const member = this.members.add(internalData(envelope));
        if (member) this.emit('pusher:member_added', member);
        return;
      }
      case 'pusher_internal:member_removed': {
        const member = this.members.remove(internalData(envelope));
        if (member) this.emit('pusher:member_removed', member);
        return;
      }
      case 'pusher_internal:subscription_count':
        this.emit('pusher:subscription_count', internalData(envelope));
        return;
      case 'pusher:cache_miss':
        this.emit(event, {});
        return;
    }
    if (event.startsWith('pusher_internal:') || !this.tracker.accept(envelope.position)) return;
    const meta: EventMeta = { channel: this.name, event };
    if (envelope.position !== undefined) meta.position = envelope.position;
    if (envelope.user_id !== undefined) meta.user_id = envelope.user_id;
    target.emit(event, parseData(envelope.data), meta);
  }

  /** @internal The connection is gone or the channel was unsubscribed. */
  reset(): void {
    this.subscribed = false;
    this.subscriptionPending = false;
  }

  private succeeded(data: Record<string, unknown>): void {
    this.subscribed = true;
    this.subscriptionPending = false;
    this.tracker.succeeded(data);
    const presence = this.name.startsWith('presence-');
    if (presence) this.members.reset(data.presence);
    this.emit('pusher:subscription_succeeded', presence ? this.members : data);
    if (data.recovered === false) {
      const failure: RecoveryFailure = {
        reason: String(data.reason ?? 'unknown'),
        position: String(data.position),
      };
      this.emit('recovery_failed', failure);
    }
  }
}
