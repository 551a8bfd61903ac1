/**
 * Bounded per-channel history: every stream has an epoch and consecutive serials; events are kept up to a
 * per-app count and age; all streams together stay under a global memory cap, evicting the least recently used
 * stream first. Eviction loses the stream's epoch, so a later resume from it is reported, never silently skipped.
 * Memory stays bounded under any publish pattern, including millions of one-event channels.
 */
import { randomBytes } from 'node:crypto';
import type { Outbound } from '../connections/outbound.js';
import type { Position, RecoveryFailure } from '../protocol/positions.js';

export interface HistoryEntry {
  readonly serial: number;
  readonly time: number;
  /** The envelope exactly as delivered live (position included). */
  readonly json: string;
  /**
   * The message as delivered live, kept so replays reuse its transport encodings (one WebSocket frame for the
   * live delivery and every recovery) instead of building them per recovering subscriber.
   */
  message?: Outbound;
}

export interface StreamLimits {
  maxEvents: number;
  maxAgeMs: number;
}

export type HistoryRead =
  | { ok: true; position: Position; entries: HistoryEntry[] }
  | { ok: false; position: Position; reason: RecoveryFailure };

/** Rough per-stream and per-entry bookkeeping costs, so the cap holds for many tiny streams too. */
const STREAM_OVERHEAD_BYTES = 160;
const ENTRY_OVERHEAD_BYTES = 64;

class Stream {
  /** Entries in serial order; `head` indexes the oldest live one so trimming the front is O(1). */
  entries: HistoryEntry[] = [];
  head = 0;
  serial = 0;
  bytes = STREAM_OVERHEAD_BYTES;
  /** Neighbours in recency order (least recently used first). */
  older: Stream | null = null;
  newer: Stream | null = null;

  constructor(
    readonly key: string,
    readonly epoch: string,
  ) {}

  get size(): number {
    return this.entries.length - this.head;
  }

  oldest(): HistoryEntry | undefined {
    return this.entries[this.head];
  }

  dropOldest(): number {
    const entry = this.entries[this.head];
    if (!entry) return 0;
    this.entries[this.head] = undefined as unknown as HistoryEntry;
    this.head++;
    if (this.head > 64 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    const freed = entrySize(entry);
    this.bytes -= freed;
    return freed;
  }
}

/** The JSON string (one byte a character for ASCII in V8, two otherwise) plus, once built, its frame. */
function entrySize(entry: HistoryEntry): number {
  return ENTRY_OVERHEAD_BYTES + entry.json.length * 3;
}

/**
 * Epochs only need to differ between a stream and its recreation, here or after a restart: a random prefix per
 * process and a counter do that without asking the kernel for randomness on every new channel.
 */
const EPOCH_PREFIX = randomBytes(6).toString('base64url');
let epochCounter = 0;

export function newEpoch(): string {
  epochCounter++;
  return `${EPOCH_PREFIX}${epochCounter.toString(36)}`;
}

export class HistoryStore {
  private readonly streams = new Map<string, Stream>();
  /**
   * Recency is a doubly linked list through the streams (least recently used first): moving a stream to the end
   * and evicting from the front are O(1), and the Map is only read, never reordered.
   */
  private lru: Stream | null = null;
  private mru: Stream | null = null;
  private totalBytes = 0;
  private evictions = 0;

  constructor(
    private readonly memoryCapBytes: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Appends an event, assigning the next serial. `build` renders the envelope once the position is known. */
  append(
    key: string,
    limits: StreamLimits,
    build: (position: Position) => string,
  ): { position: Position; entry: HistoryEntry } {
    const stream = this.touch(key);
    stream.serial++;
    const position = { epoch: stream.epoch, serial: stream.serial };
    const entry: HistoryEntry = { serial: stream.serial, time: this.now(), json: build(position) };
    if (limits.maxEvents > 0) {
      stream.entries.push(entry);
      const size = entrySize(entry);
      stream.bytes += size;
      this.totalBytes += size;
      while (stream.size > limits.maxEvents) this.totalBytes -= stream.dropOldest();
      this.expire(stream, limits.maxAgeMs);
    }
    this.enforceCap(stream);
    return { position, entry };
  }

  /** The current position of a stream (creating the stream, and so its epoch, if needed). */
  position(key: string): Position {
    const stream = this.touch(key);
    return { epoch: stream.epoch, serial: stream.serial };
  }

  /**
   * Events after `since`, up to `limit`, oldest first. Without `since`, the newest `limit` events.
   * Fails (with the current position) when the gap cannot be filled.
   */
  read(
    key: string,
    limits: StreamLimits,
    since: Position | null,
    limit = Number.MAX_SAFE_INTEGER,
  ): HistoryRead {
    const stream = this.touch(key);
    this.expire(stream, limits.maxAgeMs);
    const position = { epoch: stream.epoch, serial: stream.serial };
    if (since === null) {
      const start = Math.max(stream.head, stream.entries.length - limit);
      return { ok: true, position, entries: stream.entries.slice(start) };
    }
    if (since.epoch !== stream.epoch) return { ok: false, position, reason: 'epoch_changed' };
    if (since.serial > stream.serial) return { ok: false, position, reason: 'invalid_position' };
    if (since.serial === stream.serial) return { ok: true, position, entries: [] };
    const oldest = stream.oldest();
    if (!oldest || oldest.serial > since.serial + 1) return { ok: false, position, reason: 'too_old' };
    const start = stream.head + (since.serial + 1 - oldest.serial);
    return { ok: true, position, entries: stream.entries.slice(start, start + limit) };
  }

  /** Drops expired entries of every stream; called from a periodic sweep so idle streams free memory too. */
  sweep(limitsFor: (key: string) => StreamLimits): void {
    for (const stream of this.streams.values()) this.expire(stream, limitsFor(stream.key).maxAgeMs);
  }

  stats(): { streams: number; bytes: number; evictions: number } {
    return { streams: this.streams.size, bytes: this.totalBytes, evictions: this.evictions };
  }

  private touch(key: string): Stream {
    let stream = this.streams.get(key);
    if (stream) {
      if (stream !== this.mru) {
        this.unlink(stream);
        this.linkAsNewest(stream);
      }
      return stream;
    }
    stream = new Stream(key, newEpoch());
    this.totalBytes += stream.bytes + key.length * 2;
    this.streams.set(key, stream);
    this.linkAsNewest(stream);
    return stream;
  }

  private linkAsNewest(stream: Stream): void {
    stream.older = this.mru;
    stream.newer = null;
    if (this.mru) this.mru.newer = stream;
    else this.lru = stream;
    this.mru = stream;
  }

  private unlink(stream: Stream): void {
    if (stream.older) stream.older.newer = stream.newer;
    else this.lru = stream.newer;
    if (stream.newer) stream.newer.older = stream.older;
    else this.mru = stream.older;
    stream.older = null;
    stream.newer = null;
  }

  private expire(stream: Stream, maxAgeMs: number): void {
    const cutoff = this.now() - maxAgeMs;
    for (let oldest = stream.oldest(); oldest && oldest.time < cutoff; oldest = stream.oldest()) {
      this.totalBytes -= stream.dropOldest();
    }
  }

  /**
   * Beyond the memory cap, the least recently used stream gives up its oldest event, and a stream with no event
   * left is forgotten (a later resume from it is reported as epoch_changed). Trimming events first, instead of
   * evicting whole streams, keeps the newest events of every channel when many channels are published to in turn
   * (whole-stream eviction would throw each stream away just before its next event).
   */
  private enforceCap(keep: Stream): void {
    while (this.totalBytes > this.memoryCapBytes) {
      const oldest = this.lru;
      if (!oldest || oldest === keep) {
        while (this.totalBytes > this.memoryCapBytes && keep.size > 1) this.totalBytes -= keep.dropOldest();
        return;
      }
      if (oldest.size > 0) {
        this.totalBytes -= oldest.dropOldest();
      } else {
        this.unlink(oldest);
        this.streams.delete(oldest.key);
        this.totalBytes -= oldest.bytes + oldest.key.length * 2;
      }
      this.evictions++;
    }
  }
}
