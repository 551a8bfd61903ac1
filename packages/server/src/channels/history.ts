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

/** The JSON string (UTF-16 in memory) plus, once built, the frame that shares it. */
function entrySize(entry: HistoryEntry): number {
  return ENTRY_OVERHEAD_BYTES + entry.json.length * 3;
}

export function newEpoch(): string {
  return randomBytes(6).toString('base64url');
}

export class HistoryStore {
  /** Map order is recency order: a touched stream is moved to the end; eviction takes from the front. */
  private readonly streams = new Map<string, Stream>();
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
      this.streams.delete(key);
    } else {
      stream = new Stream(key, newEpoch());
      this.totalBytes += stream.bytes + key.length * 2;
    }
    this.streams.set(key, stream);
    return stream;
  }

  private expire(stream: Stream, maxAgeMs: number): void {
    const cutoff = this.now() - maxAgeMs;
    for (let oldest = stream.oldest(); oldest && oldest.time < cutoff; oldest = stream.oldest()) {
      this.totalBytes -= stream.dropOldest();
    }
  }

  private enforceCap(keep: Stream): void {
    for (const stream of this.streams.values()) {
      if (this.totalBytes <= this.memoryCapBytes) return;
      if (stream === keep) {
        // The stream just written is the most recent; trim its own oldest entries before giving up.
        while (this.totalBytes > this.memoryCapBytes && stream.size > 1)
          this.totalBytes -= stream.dropOldest();
        return;
      }
      this.streams.delete(stream.key);
      this.totalBytes -= stream.bytes + stream.key.length * 2;
      this.evictions++;
    }
  }
}
