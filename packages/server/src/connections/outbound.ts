/**
 * One message on its way to one or many connections. The JSON envelope is built once per publish; each transport
 * format (a WebSocket frame, an SSE block, an xhr frame) is built at most once, on first use, and shared by every
 * subscriber: the hot path never serializes per subscriber.
 */
import type { Position } from '../protocol/positions.js';

export class Outbound {
  private wsFrameCache: Buffer | undefined;
  private quotedCache: string | undefined;
  private sseCache: string | undefined;
  private eventCache: string | undefined;

  constructor(
    /** The Pusher envelope as JSON text. */
    readonly json: string,
    /** The channel's stream position of this event, when it has one (history-backed events). */
    readonly position?: Position,
    /** The channel the message belongs to (absent for connection-level messages). */
    readonly channel?: string,
    /** Socket id that must not receive this message (the publisher's own socket). */
    readonly excludeSocketId?: string,
    /** The event name (SSE `event:` field). */
    readonly event?: string,
  ) {}

  /** An unmasked, final WebSocket text frame carrying `json`, built once. */
  wsFrame(): Buffer {
    this.wsFrameCache ??= encodeTextFrame(this.json);
    return this.wsFrameCache;
  }

  /** `json` as a JSON string literal, for transports that wrap messages in JSON arrays (xhr). */
  quoted(): string {
    this.quotedCache ??= JSON.stringify(this.json);
    return this.quotedCache;
  }

  /** The Pusher event name (read from the envelope when the publisher did not give it). */
  eventName(): string {
    this.eventCache ??= this.event ?? String((JSON.parse(this.json) as { event?: unknown }).event);
    return this.eventCache;
  }

  /** The SSE `event:` and `data:` lines and the blank line that ends the message; `id:` is per connection. */
  sseBlock(): string {
    this.sseCache ??= `event: ${this.eventName()}\ndata: ${this.json}\n\n`;
    return this.sseCache;
  }

  byteLength(): number {
    return this.wsFrameCache ? this.wsFrameCache.length : this.json.length;
  }
}

/** RFC 6455 §5.2 framing for a server-to-client text frame (FIN set, no mask). */
export function encodeTextFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  // From Node's shared pool: allocating outside it cost ~1 µs a frame (measured). Frames kept in history leave
  // it in roughly the order they were made, so they do not pin pool slabs for long.
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.write(text, headerLength, 'utf8');
  return frame;
}
