/**
 * Channel streams in Redis: publishing with a position (publish.lua) and reading history (history.lua), plus
 * the two text formats they share with the fan-out: history entries and shard-channel messages.
 */
import type { HistoryRead, StreamLimits } from '../../channels/history.js';
import { newEpoch } from '../../channels/history.js';
import { channelEvent } from '../../protocol/messages.js';
import { type Position, parsePosition, type RecoveryFailure } from '../../protocol/positions.js';
import { envelopeExtras, type PublishEvent } from '../adapter.js';
import { ChannelKeys } from './keys.js';
import type { RedisClient, Scripts } from './scripts.js';

/** A stream nobody publishes to or reads is forgotten after this long (its epoch with it). */
const STREAM_IDLE_MS = 24 * 60 * 60 * 1000;
const NO_SOCKET = '-';

/** A history entry with the socket id its publisher excluded, so a node filling a gap excludes it too. */
export interface StreamEntry {
  serial: number;
  time: number;
  json: string;
  excludeSocketId: string | undefined;
}

export type StreamRead =
  | { ok: true; position: Position; entries: StreamEntry[] }
  | { ok: false; position: Position; reason: RecoveryFailure };

/** One message on a channel's shard channel, parsed. */
export interface FeedMessage {
  excludeSocketId: string | undefined;
  event: string | undefined;
  position: Position | undefined;
  json: string;
}

/**
 * The envelope `channelEvent` renders, split around the position's value, so publish.lua can splice in the
 * position it assigns and the bytes are exactly those of the single-node server.
 */
export function splitEnvelope(channel: string, event: PublishEvent): [string, string] {
  const whole = channelEvent(event.name, channel, event.data, envelopeExtras(event));
  return [`${whole.slice(0, -1)},"position":"`, '"}'];
}

/** `exclude \n event \n position \n json`, the format publish.lua sends; empty fields for absent values. */
export function encodeFeedMessage(json: string, excludeSocketId?: string, event?: string): string {
  return `${excludeSocketId ?? NO_SOCKET}\n${event ?? ''}\n\n${json}`;
}

export function decodeFeedMessage(payload: string): FeedMessage | null {
  const first = payload.indexOf('\n');
  const second = payload.indexOf('\n', first + 1);
  const third = payload.indexOf('\n', second + 1);
  if (first < 0 || second < 0 || third < 0) return null;
  const exclude = payload.slice(0, first);
  const positionText = payload.slice(second + 1, third);
  return {
    excludeSocketId: exclude === NO_SOCKET ? undefined : exclude,
    event: second > first + 1 ? payload.slice(first + 1, second) : undefined,
    position: positionText ? (parsePosition(positionText) ?? undefined) : undefined,
    json: payload.slice(third + 1),
  };
}

function parseEntry(text: string): StreamEntry {
  const first = text.indexOf(' ');
  const second = text.indexOf(' ', first + 1);
  const third = text.indexOf(' ', second + 1);
  const exclude = text.slice(second + 1, third);
  return {
    serial: Number(text.slice(0, first)),
    time: Number(text.slice(first + 1, second)),
    excludeSocketId: exclude === NO_SOCKET ? undefined : exclude,
    json: text.slice(third + 1),
  };
}

function idleMs(limits: StreamLimits): number {
  return Math.max(limits.maxAgeMs, STREAM_IDLE_MS);
}

export class Streams {
  constructor(
    private readonly client: RedisClient,
    private readonly scripts: Scripts,
  ) {}

  /** Assigns the next position, appends to history, sets the cache entry and fans out: one atomic script. */
  async publish(
    appId: string,
    channel: string,
    event: PublishEvent,
    limits: StreamLimits,
    cacheTtlMs: number | null,
  ): Promise<Position> {
    const keys = new ChannelKeys(appId, channel);
    const [prefix, suffix] = splitEnvelope(channel, event);
    const position = await this.scripts.publish.run(
      this.client,
      [keys.meta, keys.history, keys.cache, keys.shard],
      [
        newEpoch(),
        prefix,
        suffix,
        limits.maxEvents,
        limits.maxAgeMs,
        idleMs(limits),
        cacheTtlMs ?? 0,
        event.excludeSocketId ?? NO_SOCKET,
        event.name,
      ],
    );
    const parsed = parsePosition(position);
    if (!parsed) throw new Error(`publish.lua returned ${JSON.stringify(position)}, not a position`);
    return parsed;
  }

  /** Events after `since` (or the newest `limit` when null), creating the stream if needed. */
  async read(
    appId: string,
    channel: string,
    limits: StreamLimits,
    since: Position | null,
    limit = -1,
  ): Promise<StreamRead> {
    const keys = new ChannelKeys(appId, channel);
    const reply = (await this.scripts.history.run(
      this.client,
      [keys.meta, keys.history],
      [
        newEpoch(),
        limits.maxAgeMs,
        idleMs(limits),
        since?.epoch ?? '',
        since?.serial ?? 0,
        // Lua prints huge numbers in exponent notation, which Redis refuses as an index: treat them as "all".
        Number.isInteger(limit) && limit >= 0 && limit < 2 ** 31 ? limit : -1,
      ],
    )) as [string, number, string, ...string[]];
    const [epoch, serial, outcome, ...entries] = reply;
    const position = { epoch, serial: Number(serial) };
    if (outcome !== 'ok') return { ok: false, position, reason: outcome as RecoveryFailure };
    return { ok: true, position, entries: entries.map(parseEntry) };
  }
}

/** The adapter's `history` answer: entries without the fan-out detail. */
export function toHistoryRead(read: StreamRead): HistoryRead {
  if (!read.ok) return read;
  return {
    ok: true,
    position: read.position,
    entries: read.entries.map(({ serial, time, json }) => ({ serial, time, json })),
  };
}
