/**
 * Endpoint URLs derived from the configured server base URL (`http://127.0.0.1:6001`,
 * `https://rt.example.com/realtime`): the path prefix is kept, `ws(s)://` is derived from `http(s)://`.
 */
import { encodeStreamId, parsePosition } from '../../server/src/protocol/positions.js';

export const VERSION = '0.1.0';

/** A channel named in an SSE or long-poll URL, with the position to resume it from. */
export interface UrlChannel {
  name: string;
  position: string | undefined;
}

export interface Endpoints {
  ws: string;
  /** `…/app/{key}`: the SSE, poll and send endpoints hang below it. */
  http: string;
}

export function endpoints(url: string, key: string): Endpoints {
  const base = new URL(url, (globalThis as { location?: { href: string } }).location?.href);
  const path = base.pathname.replace(/\/+$/, '');
  const http = `${base.protocol}//${base.host}${path}/app/${encodeURIComponent(key)}`;
  const wsScheme = base.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = `protocol=7&client=pressrelay-js&version=${VERSION}&flash=false`;
  return { ws: `${wsScheme}//${base.host}${path}/app/${encodeURIComponent(key)}?${query}`, http };
}

/** `?channel=a&channel=b&last_event_id=…` for opening an SSE stream or a poll session. */
export function openQuery(channels: readonly UrlChannel[]): string {
  const params = new URLSearchParams();
  for (const channel of channels) params.append('channel', channel.name);
  if (channels.some((channel) => channel.position)) {
    params.set('last_event_id', encodeStreamId(channels.map((channel) => parsePosition(channel.position))));
  }
  const query = params.toString();
  return query ? `?${query}` : '';
}
