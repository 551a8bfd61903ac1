/**
 * A subscribed channel: bind callbacks to its events, trigger client events, read presence members. Events
 * carry their stream position; the channel's tracker drops any serial already delivered (docs/protocol.md §2.4).
 * Events published through WordPress also carry their WordPress position as `id`, over the realtime server and
 * from the events route alike: a second tracker drops any WordPress event already delivered by either path.
 */
import { channelType } from '../../server/src/protocol/channels.js';
import { type Callback, Emitter, type EventMeta } from './emitter.js';
import { Members } from './members.js';
import { PositionTracker } from './tracker.js';
import { type Envelope, internalData } from './transports/types.js';
import { type ChannelAnswer, diffMembers } from './wordpress.js';

/** What a channel needs from its client. */
export interface ChannelHost {
  send(message: Envelope): boolean;
  listen(event: string): void;
  /** Whether the page is polling WordPress without a realtime server connection (no client events then). */
  polling(): boolean;
}

/** Payload of a channel's `recovery_failed` event. */
export interface RecoveryFailure {
  /**
   * `epoch_changed`, `too_old` or `invalid_position` (docs/protocol.md §2.3), or `unknown_position` (the page
   * started polling WordPress for a channel it had no WordPress position for).
   */
  reason: string;
  /** The position live delivery continues after. */
  position: string;
  /**
   * True when the realtime server could not fill its gap but polling WordPress delivered every event published
   * through WordPress meanwhile: only events published straight to the realtime server can be missing.
   */
  wordpress?: boolean;
  /** `wordpress` when the events route (not the realtime server) reported the gap. */
  source?: 'wordpress';
}

/** Payload of the channel event `pusher:error` raised for a refused client event. */
export interface ClientEventRefusal {
  type: 'ClientEventRefused';
  event: string;
  message: string;
}

const CLIENT_EVENTS_REFUSED =
  'client events need the realtime server; this page is polling WordPress (no-server mode or server unreachable)';

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
  /** @internal The last WordPress position delivered (from event ids). */
  readonly wp = new PositionTracker();
  /** @internal The events route answered this channel in the current polling session. */
  polled = false;
  /** @internal Polling delivered every WordPress event since the realtime connection was lost. */
  pollCovered = false;

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
    if (!event.startsWith('client-') || !channelType(this.name).allowsClientEvents) return false;
    if (this.host.polling()) {
      // Never dropped silently: WordPress cannot relay client events.
      const refusal: ClientEventRefusal = {
        type: 'ClientEventRefused',
        event,
        message: CLIENT_EVENTS_REFUSED,
      };
      console.warn(`PressRelay: ${event} on ${this.name} refused: ${CLIENT_EVENTS_REFUSED}`);
      this.emit('pusher:error', refusal);
      return false;
    }
    if (!this.subscribed) return false;
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
    // A WordPress event already delivered by the other path (realtime server or events route).
    if (!this.wp.accept(envelope.id)) return;
    const meta: EventMeta = { channel: this.name, event };
    if (envelope.position !== undefined) meta.position = envelope.position;
    if (envelope.id !== undefined) meta.id = envelope.id;
    if (envelope.user_id !== undefined) meta.user_id = envelope.user_id;
    target.emit(event, parseData(envelope.data), meta);
  }

  /** @internal A polling session starts: the first answer counts as the subscription. */
  startPolling(): void {
    this.polled = false;
    this.pollCovered = false;
  }

  /**
   * @internal One answer of the events route. `fallback`: the page polls because the realtime server is
   * unreachable (a channel without a WordPress position may then have missed events).
   */
  applyPoll(answer: ChannelAnswer, target: Emitter, fallback: boolean): void {
    if (answer.error) {
      if (this.polled) return;
      this.polled = true;
      this.pollCovered = false;
      this.emit('pusher:subscription_error', {
        type: 'AuthError',
        error: answer.error.message ?? answer.error.code ?? 'refused',
        status: answer.error.status ?? 0,
      });
      return;
    }
    const presence = this.name.startsWith('presence-');
    const first = !this.polled;
    this.polled = true;
    if (first) {
      this.pollCovered = answer.recovered === true;
      this.subscribed = true;
      this.subscriptionPending = false;
      if (presence) {
        this.members.myID = answer.user_id ?? this.members.myID;
        this.members.reset(answer.presence);
      }
      const info = { position: answer.position, recovered: answer.recovered };
      this.emit('pusher:subscription_succeeded', presence ? this.members : info);
    } else if (presence) {
      const changes = diffMembers(this.members.snapshot(), answer.presence?.hash);
      for (const id of changes.removed) {
        const member = this.members.remove({ user_id: id });
        if (member) this.emit('pusher:member_removed', member);
      }
      for (const { id, info } of changes.added) {
        const member = this.members.add({ user_id: id, user_info: info });
        if (member) this.emit('pusher:member_added', member);
      }
    }
    if (answer.recovered === false || (answer.recovered === undefined && fallback && !this.wp.known)) {
      this.pollCovered = false;
      this.wp.set(answer.position);
      const failure: RecoveryFailure = {
        reason: answer.recovered === false ? String(answer.reason ?? 'unknown') : 'unknown_position',
        position: String(answer.position),
        source: 'wordpress',
      };
      this.emit('recovery_failed', failure);
    }
    for (const envelope of answer.events ?? []) this.handle(envelope, target);
    // Events left out for this page (its own) and an empty channel still move the position.
    this.wp.accept(answer.position);
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
      if (this.pollCovered) failure.wordpress = true;
      this.emit('recovery_failed', failure);
    }
  }
}
