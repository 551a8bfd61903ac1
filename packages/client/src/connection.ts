/**
 * One logical connection over whichever transport works: WebSocket first, then SSE, then long-polling. It
 * reconnects with capped exponential backoff and full jitter (close codes decide how: see close-codes.ts), pings
 * when idle and treats a missing answer as a dead connection, and while on a fallback it retries WebSocket in the
 * background and switches over once the new socket's handshake completes. Channels are the client's business:
 * after every handshake `hooks.connected` lets it resubscribe (with `resume_from`).
 */
import { Backoff, type BackoffOptions } from './backoff.js';
import { closeAction, isPusherCode } from './close-codes.js';
import { Emitter } from './emitter.js';
import { type TransportName, TransportPlan } from './fallback.js';
import { openPoll } from './transports/poll.js';
import { openSse } from './transports/sse.js';
import {
  type Envelope,
  type EventSourceConstructor,
  errorCode,
  type FetchFunction,
  internalData,
  type Transport,
  type TransportHooks,
  type WebSocketConstructor,
} from './transports/types.js';
import { openWebSocket } from './transports/websocket.js';
import { type Endpoints, openQuery, type UrlChannel } from './urls.js';

export type ConnectionState = 'initialized' | 'connecting' | 'connected' | 'unavailable' | 'disconnected';

export interface ConnectionOptions {
  endpoints: Endpoints;
  transports: readonly TransportName[];
  WebSocket: WebSocketConstructor | undefined;
  EventSource: EventSourceConstructor | undefined;
  fetch: FetchFunction | undefined;
  backoff: BackoffOptions;
  /** Ping after this long without a message (the server's `activity_timeout` caps it). */
  activityTimeoutMs: number;
  /** Drop the connection when a ping gets no answer within this long. */
  pongTimeoutMs: number;
  /** An attempt that has not completed its handshake after this long has failed. */
  connectTimeoutMs: number;
  /** State `unavailable` after this long without a connection. */
  unavailableTimeoutMs: number;
  /** While on a fallback transport, retry WebSocket in the background about this often. */
  wsRetryMs: number;
}

export interface ConnectionHooks {
  /** Public channels to name in an SSE or poll URL, with their resume positions. */
  urlChannels(): UrlChannel[];
  /** Event names bound on any channel (SSE listens by name). */
  eventNames(): Iterable<string>;
  /** A handshake completed (new socket id); `preSubscribed` are the URL channels the server subscribed already. */
  connected(preSubscribed: ReadonlySet<string>): void;
  message(envelope: Envelope): void;
}

interface Attempt {
  readonly name: TransportName;
  transport: Transport | null;
  established: boolean;
  preSubscribed: Set<string>;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** A connection that lived this long resets the backoff; shorter ones count as repeated failures. */
const STABLE_MS = 10_000;
const MAX_PROBE_MS = 5 * 60_000;
const PING: Envelope = { event: 'pusher:ping', data: {} };

type Timer = ReturnType<typeof setTimeout> | undefined;

export class Connection extends Emitter {
  state: ConnectionState = 'initialized';
  /** The socket id of the current connection (used by channel auth), or null. */
  socketId: string | null = null;
  /** The transport in use, or null when not connected. */
  transport: TransportName | null = null;

  private readonly plan: TransportPlan;
  private readonly backoff: Backoff;
  private current: Attempt | null = null;
  private probe: Attempt | null = null;
  private activityMs = 0;
  private probeMs: number;
  private retryTimer: Timer;
  private unavailableTimer: Timer;
  private activityTimer: Timer;
  private pongTimer: Timer;
  private stableTimer: Timer;
  private probeTimer: Timer;
  private readonly onOnline = () => this.retryNow();
  private readonly onOffline = () => this.checkAlive();

  constructor(
    private readonly options: ConnectionOptions,
    private readonly hooks: ConnectionHooks,
  ) {
    super();
    const usable = options.transports.filter((name) =>
      name === 'ws'
        ? !!options.WebSocket
        : name === 'sse'
          ? !!(options.EventSource && options.fetch)
          : !!options.fetch,
    );
    this.plan = new TransportPlan(usable);
    this.backoff = new Backoff(options.backoff);
    this.probeMs = options.wsRetryMs;
  }

  /** Whether messages can be sent now (a handshake completed and the connection is up). */
  get isConnected(): boolean {
    return !!this.current?.established;
  }

  connect(): void {
    if (this.current || this.retryTimer !== undefined) return;
    const target = globalThis as { addEventListener?: (type: string, listener: () => void) => void };
    target.addEventListener?.('online', this.onOnline);
    target.addEventListener?.('offline', this.onOffline);
    this.setState('connecting');
    this.startUnavailableTimer();
    this.open();
  }

  disconnect(): void {
    const target = globalThis as { removeEventListener?: (type: string, listener: () => void) => void };
    target.removeEventListener?.('online', this.onOnline);
    target.removeEventListener?.('offline', this.onOffline);
    this.closeAll();
    this.backoff.reset();
    this.setState('disconnected');
  }

  send(message: Envelope): boolean {
    if (!this.current?.established) return false;
    this.current.transport?.send(message);
    return true;
  }

  /** Makes sure messages named `event` reach the client on the current transport. */
  listen(event: string): void {
    this.current?.transport?.listen?.(event);
  }

  /** Skips a pending reconnect delay (the browser reports it is online again). */
  retryNow(): void {
    if (this.retryTimer === undefined) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.open();
  }

  private closeAll(): void {
    for (const timer of [this.retryTimer, this.unavailableTimer, this.probeTimer]) clearTimeout(timer);
    this.retryTimer = this.unavailableTimer = this.probeTimer = undefined;
    this.stopLiveness();
    for (const attempt of [this.current, this.probe]) {
      if (!attempt) continue;
      clearTimeout(attempt.timer);
      attempt.transport?.close();
    }
    this.current = this.probe = null;
    this.socketId = null;
    this.transport = null;
  }

  private open(): void {
    this.retryTimer = undefined;
    this.current = this.start(this.plan.current());
  }

  private start(name: TransportName): Attempt {
    const attempt: Attempt = {
      name,
      transport: null,
      established: false,
      preSubscribed: new Set(),
      timer: undefined,
    };
    const hooks: TransportHooks = {
      message: (envelope) => this.onMessage(attempt, envelope),
      activity: () => {
        if (attempt === this.current && attempt.established) this.resetActivity();
      },
      closed: (code, reason) => this.onClosed(attempt, code, reason),
    };
    attempt.timer = setTimeout(() => {
      attempt.transport?.close();
      this.onClosed(attempt, null, 'connect timeout');
    }, this.options.connectTimeoutMs);
    try {
      attempt.transport = this.create(attempt, hooks);
    } catch (error) {
      queueMicrotask(() => this.onClosed(attempt, null, (error as Error).message));
    }
    return attempt;
  }

  private create(attempt: Attempt, hooks: TransportHooks): Transport {
    const { endpoints, WebSocket, EventSource, fetch } = this.options;
    if (attempt.name === 'ws') return openWebSocket(WebSocket!, endpoints.ws, hooks);
    const channels = this.hooks.urlChannels();
    attempt.preSubscribed = new Set(channels.map((channel) => channel.name));
    const query = openQuery(channels);
    if (attempt.name === 'sse') {
      return openSse(EventSource!, fetch!, endpoints.http, query, this.hooks.eventNames(), hooks);
    }
    return openPoll(fetch!, endpoints.http, query, this.options.connectTimeoutMs, hooks);
  }

  private onMessage(attempt: Attempt, envelope: Envelope): void {
    if (attempt !== this.current && attempt !== this.probe) return;
    if (!attempt.established) {
      if (envelope.event === 'pusher:connection_established') this.onEstablished(attempt, envelope);
      else if (envelope.event === 'pusher:error') {
        attempt.transport?.close();
        this.onClosed(attempt, errorCode(envelope), String(internalData(envelope).message ?? 'refused'));
      }
      return;
    }
    this.resetActivity();
    switch (envelope.event) {
      case 'pusher:ping':
        attempt.transport?.send({ event: 'pusher:pong', data: {} });
        return;
      case 'pusher:pong':
        return;
      case 'pusher:error':
        this.emit('error', internalData(envelope));
        return;
    }
    this.hooks.message(envelope);
  }

  private onEstablished(attempt: Attempt, envelope: Envelope): void {
    clearTimeout(attempt.timer);
    attempt.established = true;
    const data = internalData(envelope);
    const serverTimeout = Number(data.activity_timeout) > 0 ? Number(data.activity_timeout) * 1000 : Infinity;
    this.activityMs = Math.min(this.options.activityTimeoutMs, serverTimeout);
    const previousTransport = this.transport;
    if (attempt === this.probe) {
      // The background WebSocket is up: drop the fallback and resume every channel on the socket.
      this.probe = null;
      if (this.current) {
        clearTimeout(this.current.timer);
        this.current.transport?.close();
      }
      this.current = attempt;
    }
    clearTimeout(this.retryTimer);
    clearTimeout(this.unavailableTimer);
    this.retryTimer = this.unavailableTimer = undefined;
    this.plan.established(attempt.name);
    this.socketId = String(data.socket_id);
    this.transport = attempt.name;
    clearTimeout(this.stableTimer);
    this.stableTimer = setTimeout(() => this.backoff.reset(), STABLE_MS);
    this.resetActivity();
    this.probeMs = this.options.wsRetryMs;
    this.scheduleProbe();
    this.hooks.connected(attempt.preSubscribed);
    if (this.state === 'connected' && previousTransport !== attempt.name) {
      this.emit('transport_change', { previous: previousTransport, current: attempt.name });
    }
    this.setState('connected');
  }

  private onClosed(attempt: Attempt, code: number | null, reason: string): void {
    clearTimeout(attempt.timer);
    if (attempt === this.probe) {
      this.probe = null;
      this.probeMs = Math.min(this.probeMs * 2, MAX_PROBE_MS);
      this.scheduleProbe();
      return;
    }
    if (attempt !== this.current) return;
    this.current = null;
    if (attempt.established) this.onLost(code, reason);
    else this.onFailed(attempt, code, reason);
  }

  /** An established connection ended. */
  private onLost(code: number | null, reason: string): void {
    this.stopLiveness();
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    if (this.probe) {
      clearTimeout(this.probe.timer);
      this.probe.transport?.close();
      this.probe = null;
    }
    this.socketId = null;
    this.transport = null;
    this.afterClose(code, reason);
  }

  /** An attempt failed before its handshake. */
  private onFailed(attempt: Attempt, code: number | null, reason: string): void {
    if (isPusherCode(code)) {
      this.afterClose(code, reason);
      return;
    }
    // Blocked or unreachable: try the next transport at once; back off once every transport failed in a row.
    const wrapped = this.plan.failed(attempt.name);
    this.scheduleRetry(wrapped ? this.backoff.next(this.backoff.baseMs) : 0);
  }

  private afterClose(code: number | null, reason: string): void {
    const action = closeAction(code);
    if (action === 'refused') {
      this.emit('error', { code, message: reason });
      this.disconnect();
      return;
    }
    if (this.state === 'connected') this.setState('connecting');
    this.startUnavailableTimer();
    if (action === 'now' && this.backoff.attempt === 0) {
      this.backoff.attempt++;
      this.scheduleRetry(0);
    } else {
      this.scheduleRetry(this.backoff.next(action === 'backoff' ? this.backoff.baseMs : 0));
    }
  }

  private scheduleRetry(delay: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  private startUnavailableTimer(): void {
    if (this.unavailableTimer !== undefined) return;
    this.unavailableTimer = setTimeout(() => {
      this.unavailableTimer = undefined;
      if (this.state === 'connecting') this.setState('unavailable');
    }, this.options.unavailableTimeoutMs);
  }

  private resetActivity(): void {
    clearTimeout(this.pongTimer);
    clearTimeout(this.activityTimer);
    this.pongTimer = undefined;
    this.activityTimer = setTimeout(() => this.checkAlive(), this.activityMs);
  }

  /** Sends a ping; no message within the pong timeout means the connection is dead. */
  private checkAlive(): void {
    const attempt = this.current;
    if (!attempt?.established || this.pongTimer !== undefined) return;
    this.pongTimer = setTimeout(() => {
      this.pongTimer = undefined;
      if (attempt !== this.current) return;
      attempt.transport?.close();
      this.current = null;
      this.onLost(4201, 'no answer to ping');
    }, this.options.pongTimeoutMs);
    // After arming the timer: any answer (even one delivered synchronously) disarms it.
    attempt.transport?.send(PING);
  }

  private stopLiveness(): void {
    for (const timer of [this.activityTimer, this.pongTimer, this.stableTimer]) clearTimeout(timer);
    this.activityTimer = this.pongTimer = this.stableTimer = undefined;
  }

  private scheduleProbe(): void {
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    if (!this.plan.shouldProbe() || !this.current?.established) return;
    // Jittered so that many clients on a fallback do not all retry at the same moment.
    const delay = this.probeMs * (0.5 + Math.random() / 2);
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      if (this.current?.established && !this.probe) this.probe = this.start(this.plan.preferred());
    }, delay);
  }

  private setState(next: ConnectionState): void {
    const previous = this.state;
    if (previous === next) return;
    this.state = next;
    this.emit('state_change', { previous, current: next });
    this.emit(next);
  }
}
