/**
 * The Redis key layout. Every key of one channel carries the hash tag `{app:channel}`, so a channel's stream,
 * history, cache, counts, presence and shard channel share one Redis Cluster slot and one Lua script can touch
 * them atomically. App-wide keys carry `{app}`, and the node registry `{pressrelay}`.
 *
 *   pr:{a:c}:s            stream meta (epoch, last serial)       pr:{a:c}:h          history entries
 *   pr:{a:c}:c            cached event (cache channels)          pr:{a:c}:m          shard channel (SPUBLISH)
 *   pr:{a:c}:subs         subscription total                     pr:{a:c}:subs:<n>   node n's share
 *   pr:{a:c}:pres         sockets per presence user              pr:{a:c}:pres:<n>   node n's share
 *   pr:{a:c}:members      presence member JSON per user
 *   pr:{a}:users          sockets per signed-in user             pr:{a}:users:<n>    node n's share
 *   pr:{a}:conns          connections of the app                 pr:{a}:conns:<n>    node n's share
 *   pr:{a}:chans:<n>      channels where node n holds a share    pr:{a}:rate         HTTP API token bucket
 *   pr:{a}:ctl            the app's control shard channel (terminate, users online/offline)
 *   pr:{pressrelay}:nodes live nodes (expiry)                    pr:{pressrelay}:reaping  dead nodes being cleaned
 */

/** App ids are free text: `{`, `}` and `%` are escaped so an id can never end or open a hash tag early. */
function tagText(text: string): string {
  return /[{}%]/.test(text) ? text.replace(/[{}%]/g, (c) => `%${c.charCodeAt(0).toString(16)}`) : text;
}

/** The keys of one channel. Built per call: a handful of string concatenations, cheaper than a cache lookup. */
export class ChannelKeys {
  readonly meta: string;
  readonly history: string;
  readonly cache: string;
  readonly shard: string;
  readonly subs: string;
  readonly presence: string;
  readonly members: string;

  constructor(appId: string, channel: string) {
    // Channel names cannot contain braces (Pusher's charset), so only the app id needs escaping.
    const base = `pr:{${tagText(appId)}:${channel}}:`;
    this.meta = `${base}s`;
    this.history = `${base}h`;
    this.cache = `${base}c`;
    this.shard = `${base}m`;
    this.subs = `${base}subs`;
    this.presence = `${base}pres`;
    this.members = `${base}members`;
  }
}

export class AppKeys {
  readonly users: string;
  readonly connections: string;
  readonly rate: string;
  readonly control: string;
  private readonly base: string;

  constructor(appId: string) {
    this.base = `pr:{${tagText(appId)}}:`;
    this.users = `${this.base}users`;
    this.connections = `${this.base}conns`;
    this.rate = `${this.base}rate`;
    this.control = `${this.base}ctl`;
  }

  /** The channels where `node` holds a share (subscriptions or presence), for cleaning up after it. */
  channelsOf(node: string): string {
    return `${this.base}chans:${node}`;
  }
}

export const REGISTRY_KEY = 'pr:{pressrelay}:nodes';
export const REAPING_KEY = 'pr:{pressrelay}:reaping';

/** A node's share of a totals key. */
export function shareKey(totals: string, node: string): string {
  return `${totals}:${node}`;
}

/** The Redis Cluster slot of a key (CRC16/XMODEM of its hash tag), to find which master serves a shard channel. */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(key)) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
