/**
 * The PressRelay client: one logical connection (WebSocket, SSE or long-poll), channels that resume from their
 * last position after every reconnect, private and presence auth through the app's endpoint, client events and
 * sign-in. The API follows pusher-js where both have the same feature. With `wordpress` it can also poll the
 * WordPress plugin's events route: always (no-server mode), or while the realtime server cannot be reached, moving
 * back to push without losing or repeating an event (events published through WordPress carry their WordPress
 * position as `id` on both paths, and each channel drops an `id` it already delivered).
 *
 * @example
 * const client = new Client({ key: 'app-key', url: 'https://rt.example.com' });
 * const channel = client.subscribe('news');
 * channel.bind('headline', (data) => show(data));
 * channel.bind('recovery_failed', () => refetchBaseline());
 */
import {
  channelNameProblem,
  channelType,
  SERVER_TO_USER_PREFIX,
} from '../../server/src/protocol/channels.js';
import { DEFAULT_LIMITS } from '../../server/src/protocol/limits.js';
import { AuthError, type AuthOptions, requestAuth } from './auth.js';
import type { BackoffOptions } from './backoff.js';
import { Channel } from './channel.js';
import { Connection } from './connection.js';
import { type Callback, Emitter } from './emitter.js';
import { ALL_TRANSPORTS, type TransportName } from './fallback.js';
import {
  type Envelope,
  type EventSourceConstructor,
  type FetchFunction,
  internalData,
  type WebSocketConstructor,
} from './transports/types.js';
import { WordPressPoller } from './transports/wordpress.js';
import { endpoints, type UrlChannel } from './urls.js';
import type { WordPressConfig, WordPressMode } from './wordpress.js';

export interface ClientConfig {
  /** The app's public key (not needed with `wordpress.mode: 'polling'`). */
  key?: string;
  /**
   * Server base URL, e.g. `http://127.0.0.1:6001` or `https://rt.example.com/realtime` (prefix kept); not needed
   * with `wordpress.mode: 'polling'`.
   */
  url?: string;
  /** Channel auth endpoint for private and presence channels (POST `socket_id` and `channel_name`). */
  authEndpoint?: string;
  /** Extra headers (e.g. `X-WP-Nonce`) and form params sent to the auth endpoints. */
  auth?: AuthOptions;
  /** User auth endpoint for `signin()` (POST `socket_id`). */
  userAuthEndpoint?: string;
  /** Transports to use, in this order of preference (default `['ws', 'sse', 'poll']`). */
  transports?: TransportName[];
  /** Polling the WordPress plugin's events route: never, always, or while the realtime server is unreachable. */
  wordpress?: WordPressConfig;
  /** WebSocket constructor (default `globalThis.WebSocket`; in Node 20 pass `ws`). */
  WebSocket?: WebSocketConstructor;
  /** EventSource constructor (default `globalThis.EventSource`; in Node pass the `eventsource` package's). */
  EventSource?: EventSourceConstructor;
  /** fetch (default `globalThis.fetch`). */
  fetch?: FetchFunction;
  /** Reconnect backoff: `baseMs` (default 1000) and `maxMs` (default 30000). */
  reconnect?: BackoffOptions;
  /** Ping after this long without a message; the server's activity timeout caps it (default 120000). */
  activityTimeoutMs?: number;
  /** Reconnect when a ping gets no answer within this long (default 30000). */
  pongTimeoutMs?: number;
  /** Give up on a connection attempt after this long (default 10000). */
  connectTimeoutMs?: number;
  /** Report state `unavailable` after this long without a connection (default 10000). */
  unavailableTimeoutMs?: number;
  /** While on a fallback transport, retry WebSocket about this often (default 30000). */
  wsRetryMs?: number;
}

export interface SubscribeOptions {
  /**
   * Resume from this position (`epoch:serial`) on the first subscribe, e.g. the position of the baseline a cached
   * page was rendered with: the events published since then are replayed, or `recovery_failed` is raised.
   */
  resumeFrom?: string;
}

/** The signed-in user: `bind` receives events sent to this user (`sendToUser`). */
export class User extends Emitter {
  /** The signed-in user id, once `pusher:signin_success` arrived. */
  id: string | null = null;
  /** The `user_data` the auth endpoint returned, parsed. */
  data: Record<string, unknown> | null = null;

  constructor(private readonly listen: (event: string) => void) {
    super();
  }

  override bind(event: string, callback: Callback): this {
    this.listen(event);
    return super.bind(event, callback);
  }
}

const MAX_URL_CHANNELS = 20;

/** Payload of the connection's `polling` event. */
export interface PollingChange {
  /** Whether the page now polls WordPress. */
  active: boolean;
}

const HANDOVER_RETRY_MS = 2000;

export class Client {
  readonly connection: Connection;
  readonly user: User;
  /** The WordPress poller (null unless `wordpress.mode` is `polling` or `push-with-polling-fallback`). */
  readonly wordpress: WordPressPoller | null;
  private readonly mode: WordPressMode;
  private readonly channels = new Map<string, Channel>();
  private readonly eventNames = new Set<string>();
  private readonly fetch: FetchFunction | undefined;
  private signinRequested = false;
  private handover = false;
  private handoverTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private lastSocketId: string | null = null;
  private pollSoon = false;
  private readonly host = {
    send: (message: Envelope) => this.send(message),
    listen: (event: string) => this.listen(event),
    polling: () => this.polling,
  };

  constructor(readonly config: ClientConfig) {
    const wordpress = config?.wordpress;
    this.mode = wordpress?.mode ?? 'push';
    if (!['push', 'polling', 'push-with-polling-fallback'].includes(this.mode)) {
      throw new Error(`PressRelay: unknown wordpress.mode ${JSON.stringify(this.mode)}`);
    }
    const pollOnly = this.mode === 'polling';
    if (!pollOnly && (!config || typeof config.key !== 'string' || !config.key))
      throw new Error('PressRelay: `key` is required');
    if (!pollOnly && (typeof config.url !== 'string' || !config.url))
      throw new Error('PressRelay: `url` is required');
    const global = globalThis as {
      WebSocket?: WebSocketConstructor;
      EventSource?: EventSourceConstructor;
      fetch?: FetchFunction;
    };
    this.fetch = config.fetch ?? (global.fetch ? global.fetch.bind(globalThis) : undefined);
    this.user = new User((event) => this.listen(event));
    this.wordpress = null;
    if (wordpress && this.mode !== 'push') {
      if (typeof wordpress.eventsUrl !== 'string' || !wordpress.eventsUrl) {
        throw new Error('PressRelay: `wordpress.eventsUrl` is required to poll WordPress');
      }
      if (!this.fetch) throw new Error('PressRelay: polling WordPress needs fetch');
      this.wordpress = new WordPressPoller(this.fetch, wordpress, config.auth?.headers ?? {}, {
        channels: () => this.polledChannels(),
        socketId: () => this.connection.socketId ?? this.lastSocketId,
        answer: (name, answer) => {
          const channel = this.channels.get(name);
          if (channel) channel.applyPoll(answer, channel, !pollOnly);
        },
        failed: (status, message) => this.connection.emit('polling_error', { status, message }),
      });
    }
    this.connection = new Connection(
      {
        endpoints:
          pollOnly || !config.url || !config.key ? { ws: '', http: '' } : endpoints(config.url, config.key),
        transports: config.transports ?? ALL_TRANSPORTS,
        WebSocket: config.WebSocket ?? global.WebSocket,
        EventSource: config.EventSource ?? global.EventSource,
        fetch: this.fetch,
        backoff: config.reconnect ?? {},
        activityTimeoutMs: config.activityTimeoutMs ?? 120_000,
        pongTimeoutMs: config.pongTimeoutMs ?? 30_000,
        connectTimeoutMs: config.connectTimeoutMs ?? 10_000,
        unavailableTimeoutMs: config.unavailableTimeoutMs ?? 10_000,
        wsRetryMs: config.wsRetryMs ?? 30_000,
      },
      {
        urlChannels: () => this.urlChannels(),
        eventNames: () => this.eventNames,
        connected: (preSubscribed) => this.onConnected(preSubscribed),
        message: (envelope) => this.onMessage(envelope),
      },
    );
    this.connection.bind('state_change', (change) => {
      const current = (change as { current: string }).current;
      if (current !== 'connected') {
        this.handover = false;
        for (const channel of this.channels.values()) channel.reset();
      }
      if (this.mode !== 'push-with-polling-fallback') return;
      if (current === 'unavailable' || (current === 'disconnected' && !this.stopped)) this.startPolling();
      else if (current === 'connected' && this.wordpress?.active) {
        this.handover = true;
        this.checkHandover();
      }
    });
    // Connect after the current task, so channels subscribed right after construction go into the first request.
    queueMicrotask(() => {
      if (pollOnly) {
        if (!this.stopped) this.startPolling();
      } else if (this.connection.state === 'initialized') this.connection.connect();
    });
  }

  /** Whether the page is polling WordPress with no realtime connection up (client events are refused then). */
  get polling(): boolean {
    return !!this.wordpress?.active && !this.connection.isConnected;
  }

  /** Connects (again, after `disconnect()`); channels resume from their last positions. */
  connect(): void {
    this.stopped = false;
    if (this.mode === 'polling') this.startPolling();
    else this.connection.connect();
  }

  disconnect(): void {
    this.stopped = true;
    this.stopPolling();
    this.connection.disconnect();
  }

  subscribe(name: string, options: SubscribeOptions = {}): Channel {
    const existing = this.channels.get(name);
    if (existing) return existing;
    const problem = channelNameProblem(name, 200);
    if (problem) throw new Error(`PressRelay: cannot subscribe to ${JSON.stringify(name)}: ${problem}`);
    if (name.startsWith('#')) throw new Error('PressRelay: channels starting with # are reserved');
    if (channelType(name).kind === 'encrypted') {
      throw new Error('PressRelay: encrypted channels are not supported by this client');
    }
    const channel = new Channel(name, this.host, options.resumeFrom);
    this.channels.set(name, channel);
    if (this.connection.isConnected) void this.sendSubscribe(channel);
    if (this.wordpress?.active) this.schedulePoll();
    return channel;
  }

  unsubscribe(name: string): void {
    const channel = this.channels.get(name);
    if (!channel) return;
    this.channels.delete(name);
    if (this.handover) queueMicrotask(() => this.checkHandover());
    if (channel.subscribed || channel.subscriptionPending) {
      this.send({ event: 'pusher:unsubscribe', data: { channel: name } });
    }
    channel.reset();
    channel.members.clear();
  }

  channel(name: string): Channel | undefined {
    return this.channels.get(name);
  }

  allChannels(): Channel[] {
    return [...this.channels.values()];
  }

  /** Signs the connection in as a user through `userAuthEndpoint` (again after every reconnect). */
  signin(): void {
    if (!this.config.userAuthEndpoint) throw new Error('PressRelay: signin() needs `userAuthEndpoint`');
    if (this.signinRequested) return;
    this.signinRequested = true;
    if (this.connection.isConnected) void this.sendSignin();
  }

  private send(message: Envelope): boolean {
    return this.connection.send(message);
  }

  private listen(event: string): void {
    if (this.eventNames.has(event)) return;
    this.eventNames.add(event);
    this.connection.listen(event);
  }

  /** Public channels go into an SSE or poll URL with their positions; the others are subscribed upstream. */
  private urlChannels(): UrlChannel[] {
    const channels: UrlChannel[] = [];
    for (const channel of this.channels.values()) {
      if (channels.length === MAX_URL_CHANNELS) break;
      // A name the server might refuse would fail the whole request: longer ones are subscribed upstream.
      if (channelType(channel.name).kind !== 'public') continue;
      if (channel.name.length > DEFAULT_LIMITS.maxChannelNameLength) continue;
      channels.push({ name: channel.name, position: channel.tracker.resumeFrom() });
    }
    return channels;
  }

  /** The channels a poll names, with their last WordPress positions (user channels live on the server only). */
  private polledChannels(): Array<{ name: string; position: string | undefined }> {
    const channels: Array<{ name: string; position: string | undefined }> = [];
    for (const channel of this.channels.values()) {
      if (!channel.name.startsWith(SERVER_TO_USER_PREFIX)) {
        channels.push({ name: channel.name, position: channel.wp.resumeFrom() });
      }
    }
    return channels;
  }

  /** A channel subscribed while polling goes into the next poll, right away. */
  private schedulePoll(): void {
    if (this.pollSoon) return;
    this.pollSoon = true;
    queueMicrotask(() => {
      this.pollSoon = false;
      if (this.wordpress?.active) void this.wordpress.pollNow();
    });
  }

  private startPolling(): void {
    if (!this.wordpress || this.wordpress.active) return;
    for (const channel of this.channels.values()) channel.startPolling();
    this.wordpress.start();
    const change: PollingChange = { active: true };
    this.connection.emit('polling', change);
  }

  private stopPolling(): void {
    clearTimeout(this.handoverTimer);
    this.handoverTimer = undefined;
    this.handover = false;
    if (!this.wordpress?.active) return;
    this.wordpress.stop();
    for (const channel of this.channels.values()) channel.startPolling();
    const change: PollingChange = { active: false };
    this.connection.emit('polling', change);
  }

  /**
   * The realtime connection is back while polling: once every channel's subscription has settled (resumed from
   * its last server position, or refused), one last poll covers whatever reached WordPress before that, and
   * polling stops. From then on events come over the connection; ids already delivered by polling are dropped.
   */
  private checkHandover(): void {
    if (!this.handover || !this.connection.isConnected || !this.wordpress?.active) return;
    for (const channel of this.channels.values()) {
      if (channel.subscriptionPending) return;
    }
    this.handover = false;
    const poller = this.wordpress;
    void poller.pollNow().then(() => {
      if (!poller.active || !this.connection.isConnected) return;
      if (poller.lastOk) {
        this.stopPolling();
        return;
      }
      // The last poll failed: try again before letting go of polling.
      this.handoverTimer = setTimeout(() => {
        this.handoverTimer = undefined;
        this.handover = true;
        this.checkHandover();
      }, HANDOVER_RETRY_MS);
    });
  }

  private onConnected(preSubscribed: ReadonlySet<string>): void {
    this.lastSocketId = this.connection.socketId;
    for (const channel of this.channels.values()) {
      channel.reset();
      if (preSubscribed.has(channel.name)) channel.subscriptionPending = true;
      else if (!channel.name.startsWith(SERVER_TO_USER_PREFIX)) void this.sendSubscribe(channel);
    }
    if (this.signinRequested) void this.sendSignin();
  }

  private onMessage(envelope: Envelope): void {
    if (envelope.event === 'pusher:signin_success') {
      this.signedIn(envelope);
      return;
    }
    const name = envelope.channel;
    if (name === undefined) return;
    const channel = this.channels.get(name);
    if (!channel) {
      // A stale subscription (unsubscribed while its subscribe was in flight): let the server know.
      if (envelope.event === 'pusher_internal:subscription_succeeded') {
        this.send({ event: 'pusher:unsubscribe', data: { channel: name } });
      }
      return;
    }
    channel.handle(envelope, name.startsWith(SERVER_TO_USER_PREFIX) ? this.user : channel);
    if (this.handover) this.checkHandover();
  }

  private async sendSubscribe(channel: Channel): Promise<void> {
    const socketId = this.connection.socketId;
    const { name } = channel;
    channel.subscriptionPending = true;
    const data: Record<string, unknown> = { channel: name, auth: '' };
    if (channelType(name).requiresAuth) {
      try {
        if (!this.config.authEndpoint || !this.fetch) throw new AuthError('no authEndpoint configured', 0);
        const answer = await requestAuth(this.fetch, this.config.authEndpoint, this.config.auth ?? {}, {
          socket_id: socketId ?? '',
          channel_name: name,
        });
        if (this.channels.get(name) !== channel || this.connection.socketId !== socketId) return;
        data.auth = answer.auth;
        if (typeof answer.channel_data === 'string') {
          data.channel_data = answer.channel_data;
          const userId = (JSON.parse(answer.channel_data) as { user_id?: unknown }).user_id;
          channel.members.myID = userId === undefined ? null : String(userId);
        } else if (this.user.id !== null) {
          channel.members.myID = this.user.id;
        }
      } catch (error) {
        if (this.channels.get(name) !== channel || this.connection.socketId !== socketId) return;
        channel.subscriptionPending = false;
        const status = error instanceof AuthError ? error.status : 0;
        channel.emit('pusher:subscription_error', {
          type: 'AuthError',
          error: (error as Error).message,
          status,
        });
        if (this.handover) this.checkHandover();
        return;
      }
    }
    const resumeFrom = channel.tracker.resumeFrom();
    if (resumeFrom) data.resume_from = resumeFrom;
    this.send({ event: 'pusher:subscribe', data });
  }

  private async sendSignin(): Promise<void> {
    const socketId = this.connection.socketId;
    try {
      if (!this.fetch) throw new AuthError('no fetch available', 0);
      const answer = await requestAuth(this.fetch, this.config.userAuthEndpoint!, this.config.auth ?? {}, {
        socket_id: socketId ?? '',
      });
      if (this.connection.socketId !== socketId) return;
      this.send({ event: 'pusher:signin', data: { auth: answer.auth, user_data: answer.user_data } });
    } catch (error) {
      if (this.connection.socketId !== socketId) return;
      this.user.emit('pusher:signin_error', {
        error: (error as Error).message,
        status: error instanceof AuthError ? error.status : 0,
      });
    }
  }

  private signedIn(envelope: Envelope): void {
    let userData: Record<string, unknown> = {};
    try {
      userData = JSON.parse(String(internalData(envelope).user_data)) as Record<string, unknown>;
    } catch {
      // Malformed user_data: keep the empty object; `id` stays unknown.
    }
    if (typeof userData.id !== 'string') return;
    this.user.id = userData.id;
    this.user.data = userData;
    const name = SERVER_TO_USER_PREFIX + userData.id;
    const channel = this.channels.get(name) ?? new Channel(name, this.host);
    this.channels.set(name, channel);
    void this.sendSubscribe(channel);
    this.user.emit('pusher:signin_success', userData);
  }
}
