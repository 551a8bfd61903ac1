/**
 * Polls the WordPress plugin's events route (no-server mode, and the polling fallback while the realtime server
 * cannot be reached). Each poll names the subscribed channels with the last WordPress position each delivered;
 * the answer carries the events after them. `If-None-Match` with the last answer's ETag makes an unchanged state
 * a bodiless `304`. The interval follows the Page Visibility API (visible: `visibleIntervalMs`, hidden:
 * `hiddenIntervalMs`, no document: `intervalMs`); a page that becomes visible polls at once; failures back off.
 */
import {
  type ChannelAnswer,
  eventsUrl,
  MAX_POLL_CHANNELS,
  type PolledChannel,
  parsePollAnswer,
  pollInterval,
  retryDelay,
  type Visibility,
  type WordPressConfig,
} from '../wordpress.js';
import { type FetchFunction, fetchText } from './types.js';

const POLL_TIMEOUT_MS = 15_000;

export interface PollerHooks {
  /** The channels to poll, with their last WordPress positions. */
  channels(): PolledChannel[];
  /** The page's socket id on the realtime server, if it has one (its own events are left out). */
  socketId(): string | null;
  /** One channel's answer, in the order of the route's answer. */
  answer(channel: string, answer: ChannelAnswer): void;
  /** A whole poll failed (network, HTTP error, malformed answer). */
  failed(status: number, message: string): void;
}

interface VisibilityTarget {
  visibilityState?: string;
  addEventListener?(type: string, listener: () => void): void;
  removeEventListener?(type: string, listener: () => void): void;
}

export class WordPressPoller {
  /** True between start() and stop(). */
  active = false;
  /** Polls answered (200 or 304) since start(). */
  polls = 0;
  /** Whether the last poll was answered and applied. */
  lastOk = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private etag: string | null = null;
  private failures = 0;
  private running: Promise<void> | null = null;
  private again = false;
  private controller: AbortController | null = null;
  private readonly onVisibility = () => {
    if (this.active && this.visibility() === 'visible') void this.pollNow();
  };

  constructor(
    private readonly fetch: FetchFunction,
    private readonly config: WordPressConfig,
    private readonly headers: Record<string, string>,
    private readonly hooks: PollerHooks,
  ) {}

  start(): void {
    if (this.active) return;
    this.active = true;
    this.failures = 0;
    this.polls = 0;
    this.document()?.addEventListener?.('visibilitychange', this.onVisibility);
    void this.pollNow();
  }

  stop(): void {
    if (!this.active) return;
    this.active = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.controller?.abort();
    this.document()?.removeEventListener?.('visibilitychange', this.onVisibility);
  }

  /**
   * Polls now (or right after the poll in flight) and resolves once a poll that started after this call has been
   * answered and applied, or has failed.
   */
  pollNow(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running) {
      // The loop polls once more before its promise settles.
      this.again = true;
      return this.running;
    }
    this.running = this.loop();
    return this.running;
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.again = false;
        await this.pollOnce();
      } while (this.again && this.active);
    } finally {
      this.running = null;
      this.schedule();
    }
  }

  private schedule(): void {
    if (!this.active || this.timer !== undefined || this.running) return;
    const interval = pollInterval(this.config, this.visibility());
    const delay = this.failures ? retryDelay(interval, this.failures) : interval;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pollNow();
    }, delay);
  }

  private async pollOnce(): Promise<void> {
    if (!this.active) return;
    const channels = this.hooks.channels().slice(0, MAX_POLL_CHANNELS);
    if (channels.length === 0) {
      this.lastOk = true;
      return;
    }
    const url = eventsUrl(this.config.eventsUrl, channels, this.config.since, this.hooks.socketId());
    const headers: Record<string, string> = { Accept: 'application/json', ...this.headers };
    if (this.etag) headers['If-None-Match'] = this.etag;
    this.controller = new AbortController();
    let status = 0;
    let text = '';
    let etag: string | null = null;
    try {
      const response = await fetchText(
        this.fetch,
        url,
        { headers, credentials: 'same-origin' },
        POLL_TIMEOUT_MS,
        this.controller.signal,
        (received) => {
          etag = received.headers.get('ETag');
        },
      );
      status = response.status;
      text = response.text;
    } catch (error) {
      if (this.active) this.fail(0, `poll failed: ${(error as Error).message}`);
      return;
    } finally {
      this.controller = null;
    }
    if (!this.active) return;
    if (status === 304) {
      this.failures = 0;
      this.polls++;
      this.lastOk = true;
      return;
    }
    const answer = status === 200 ? parsePollAnswer(text) : null;
    if (!answer) {
      this.fail(status, `events route answered ${status}: ${text.slice(0, 200)}`);
      return;
    }
    this.failures = 0;
    let more = false;
    for (const [name, channel] of Object.entries(answer.channels ?? {})) {
      if (!this.active) return;
      this.hooks.answer(name, channel);
      more = more || channel.more === true;
    }
    this.etag = etag;
    this.polls++;
    this.lastOk = true;
    if (more) this.again = true;
  }

  private fail(status: number, message: string): void {
    this.lastOk = false;
    this.failures++;
    this.etag = null;
    this.hooks.failed(status, message);
  }

  private document(): VisibilityTarget | undefined {
    return (globalThis as { document?: VisibilityTarget }).document;
  }

  private visibility(): Visibility {
    const state = this.document()?.visibilityState;
    return state === 'visible' || state === 'hidden' ? state : undefined;
  }
}
