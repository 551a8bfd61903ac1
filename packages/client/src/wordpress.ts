/**
 * The pure parts of polling WordPress (no-server mode and the polling fallback): the configuration, which
 * interval applies, the events route's query and answer, and the presence member diff. The loop that fetches
 * lives in transports/wordpress.ts; how a channel applies an answer, in channel.ts.
 */
import type { Envelope } from './transports/types.js';

export type WordPressMode = 'push' | 'polling' | 'push-with-polling-fallback';

export interface WordPressConfig {
  /** The plugin's events route, e.g. `https://example.com/wp-json/pressrelay/v1/events`. */
  eventsUrl: string;
  /**
   * `push`: the realtime server only. `polling`: poll WordPress only, never open a WebSocket (no `key` or `url`
   * needed). `push-with-polling-fallback`: the realtime server, and poll WordPress while it cannot be reached.
   */
  mode: WordPressMode;
  /** Interval where the page's visibility is unknown (Node), and the base of the others (default 5000). */
  intervalMs?: number;
  /** Interval while the page is visible (default `intervalMs`). */
  visibleIntervalMs?: number;
  /** Interval while the page is hidden (default 6 × `intervalMs`). */
  hiddenIntervalMs?: number;
  /** The log's head when the page was rendered (`epoch:rowId`): channels without a position are read from it. */
  since?: string;
}

export const DEFAULT_INTERVAL_MS = 5000;
/** Most channels the route accepts in one poll. */
export const MAX_POLL_CHANNELS = 100;

export type Visibility = 'visible' | 'hidden' | undefined;

/** The interval to wait before the next poll. `visibility` is undefined where there is no document. */
export function pollInterval(config: WordPressConfig, visibility: Visibility): number {
  const base = positive(config.intervalMs) ?? DEFAULT_INTERVAL_MS;
  if (visibility === 'visible') return positive(config.visibleIntervalMs) ?? base;
  if (visibility === 'hidden') return positive(config.hiddenIntervalMs) ?? base * 6;
  return base;
}

function positive(value: number | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}

/** After `failures` failed polls in a row: the interval doubled per failure, at most a minute (or the interval). */
export function retryDelay(intervalMs: number, failures: number): number {
  return Math.max(intervalMs, Math.min(60_000, intervalMs * 2 ** Math.min(failures, 10)));
}

export interface PolledChannel {
  name: string;
  /** The last WordPress position delivered on the channel, if any. */
  position: string | undefined;
}

/**
 * The events route URL: one `c[]` per channel (`name` or `name:epoch:serial`; channel names never contain `:`),
 * `since` when some channel has no position yet, and `socket_id` to leave out this page's own events. Works with
 * pretty permalinks and with `?rest_route=`.
 */
export function eventsUrl(
  base: string,
  channels: readonly PolledChannel[],
  since?: string,
  socketId?: string | null,
): string {
  const url = new URL(base, (globalThis as { location?: { href: string } }).location?.href);
  for (const channel of channels) {
    url.searchParams.append('c[]', channel.position ? `${channel.name}:${channel.position}` : channel.name);
  }
  if (since && channels.some((channel) => !channel.position)) url.searchParams.set('since', since);
  if (socketId) url.searchParams.set('socket_id', socketId);
  return url.toString();
}

export interface PresenceData {
  count?: number;
  ids?: string[];
  hash?: Record<string, unknown>;
}

/** One channel's part of the events route's answer. */
export interface ChannelAnswer {
  position?: string;
  events?: Envelope[];
  /** Present when the poll gave a position (or the cursor): false when the gap cannot be filled. */
  recovered?: boolean;
  reason?: string;
  /** More events follow: poll again at once. */
  more?: boolean;
  /** Presence channels: the members polling WordPress, and this user's id. */
  presence?: PresenceData;
  user_id?: string;
  /** The channel was refused (private or presence without the right login), or is not supported. */
  error?: { code?: string; message?: string; status?: number };
}

export interface PollAnswer {
  epoch?: string;
  channels?: Record<string, ChannelAnswer>;
}

/** Parses the route's JSON answer; null when it is not the expected shape. */
export function parsePollAnswer(text: string): PollAnswer | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const channels = (parsed as PollAnswer).channels;
  if (typeof channels !== 'object' || channels === null || Array.isArray(channels)) return null;
  return parsed as PollAnswer;
}

export interface MemberChanges {
  added: Array<{ id: string; info: unknown }>;
  removed: string[];
}

/** Who joined and who left between two member lists (`hash` of user id → info). */
export function diffMembers(
  before: ReadonlyMap<string, unknown>,
  after: Record<string, unknown> | undefined,
): MemberChanges {
  const next = after ?? {};
  const added: MemberChanges['added'] = [];
  for (const [id, info] of Object.entries(next)) if (!before.has(id)) added.push({ id, info });
  const removed = [...before.keys()].filter((id) => !Object.hasOwn(next, id));
  return { added, removed };
}
