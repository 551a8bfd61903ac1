/** A bare `ws` client that records every frame, for protocol-level checks below what pusher-js exposes. */
import WebSocket from 'ws';
import type { ServerHandle } from '../harness.js';
import { DEFAULT_TIMEOUT_MS, onCleanup, within } from './async.js';

export interface Frame {
  event: string;
  channel?: string;
  data?: unknown;
  user_id?: string | number;
  position?: string;
  [key: string]: unknown;
}

/** A bare `ws` client that records every frame, for checks below what pusher-js exposes. */
export class RawClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Whether the socket closed (set before `closed` resolves). */
  isClosed = false;
  private cursor = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const text = data.toString();
      let frame: Frame;
      try {
        frame = JSON.parse(text) as Frame;
      } catch {
        frame = { event: '(not json)', data: isBinary ? '(binary)' : text };
      }
      this.frames.push(frame);
      this.wake();
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.isClosed = true;
        resolve({ code, reason: reason.toString() });
        this.wake();
      });
    });
    onCleanup(() => this.terminate());
  }

  static open(
    server: ServerHandle,
    options: { key?: string; query?: string; path?: string; origin?: string } = {},
  ) {
    const path = options.path ?? `/app/${options.key ?? server.app.key}`;
    const query = options.query ?? 'protocol=7&client=js&version=8.6.0&flash=false';
    const headers = options.origin ? { Origin: options.origin } : undefined;
    return new RawClient(new WebSocket(`${server.wsUrl}${path}${query ? `?${query}` : ''}`, { headers }));
  }

  /** Opens a connection and waits for `pusher:connection_established`; returns the client and its socket id. */
  static async connect(
    server: ServerHandle,
    options: Parameters<typeof RawClient.open>[1] = {},
  ): Promise<{ client: RawClient; socketId: string; activityTimeout: number }> {
    const client = RawClient.open(server, options);
    const frame = await client.next('pusher:connection_established');
    const data = JSON.parse(frame.data as string) as { socket_id: string; activity_timeout: number };
    return { client, socketId: data.socket_id, activityTimeout: data.activity_timeout };
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /**
   * The next frame (after those already consumed) with this event name, optionally on this channel, matching
   * `where`. Frames skipped on the way stay available to `all`, not to later `next` calls.
   */
  next(
    event: string,
    filter: { channel?: string; where?: (frame: Frame) => boolean } = {},
    ms = DEFAULT_TIMEOUT_MS,
  ): Promise<Frame> {
    const label = `"${event}" frame${filter.channel ? ` on ${filter.channel}` : ''}`;
    return this.nextMatching(
      (frame) =>
        frame.event === event &&
        (filter.channel === undefined || frame.channel === filter.channel) &&
        (!filter.where || filter.where(frame)),
      label,
      ms,
    );
  }

  /** The next frame whose event is one of `events`, optionally on `channel`. */
  nextOf(events: string[], channel?: string, ms = DEFAULT_TIMEOUT_MS): Promise<Frame> {
    return this.nextMatching(
      (frame) => events.includes(frame.event) && (channel === undefined || frame.channel === channel),
      `${events.join('|')} frame`,
      ms,
    );
  }

  /** Subscribes and returns the `subscription_succeeded` or `subscription_error` frame. */
  subscribe(channel: string, data: object = {}): Promise<Frame> {
    this.send({ event: 'pusher:subscribe', data: { channel, ...data } });
    return this.nextOf(['pusher_internal:subscription_succeeded', 'pusher:subscription_error'], channel);
  }

  private async nextMatching(matches: (frame: Frame) => boolean, label: string, ms: number): Promise<Frame> {
    const until = Date.now() + ms;
    for (;;) {
      while (this.cursor < this.frames.length) {
        const frame = this.frames[this.cursor++]!;
        if (matches(frame)) return frame;
      }
      const left = until - Date.now();
      if (left <= 0 || this.isClosed) {
        throw new Error(
          `no ${label} within ${ms} ms${this.isClosed ? ' (socket closed)' : ''}; got ${JSON.stringify(this.frames).slice(0, 2_000)}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Frames received so far with this event name. */
  all(event: string, channel?: string): Frame[] {
    return this.frames.filter(
      (frame) => frame.event === event && (channel === undefined || frame.channel === channel),
    );
  }

  /** Sends a ping and waits for the pong: proves the connection still works after whatever came before. */
  async roundTrip(): Promise<void> {
    this.send({ event: 'pusher:ping', data: {} });
    await this.next('pusher:pong');
  }

  waitClose(ms = DEFAULT_TIMEOUT_MS): Promise<{ code: number; reason: string }> {
    return within(this.closed, 'the socket to close', ms);
  }

  terminate(): void {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** The `data` of a `pusher:*` / `pusher_internal:*` frame, which the server sends as a JSON string. */
export function dataOf<T = Record<string, unknown>>(frame: Frame): T {
  return (typeof frame.data === 'string' ? JSON.parse(frame.data) : frame.data) as T;
}

// ---- webhook receiver -------------------------------------------------------------------------------------
