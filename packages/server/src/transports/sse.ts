/**
 * Server-Sent Events: `GET /app/{key}/sse?channel=a&channel=b`. Each message is one SSE message: `event:` the
 * event name, `data:` the Pusher envelope, and for the URL channels an `id:` holding all their positions, so a
 * bare EventSource resumes every channel from `Last-Event-ID`. Upstream goes through `POST /app/{key}/send`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transport } from '../connections/connection.js';
import type { Outbound } from '../connections/outbound.js';
import { encodeStreamId, type Position } from '../protocol/positions.js';
import {
  admit,
  corsHeaders,
  type HttpTransportContext,
  openSession,
  resumePositions,
  urlChannels,
} from './http-common.js';

const HEARTBEAT_MS = 15_000;

class SseTransport implements Transport {
  readonly name = 'sse' as const;
  private lastWrite: number;
  private ended = false;
  private readonly channelIndex: Map<string, number>;

  constructor(
    private readonly response: ServerResponse,
    channels: readonly string[],
    private readonly positions: Array<Position | null>,
    private readonly onEnd: (code: number) => void,
  ) {
    this.channelIndex = new Map(channels.map((channel, index) => [channel, index]));
    this.lastWrite = Date.now();
  }

  flush(messages: Outbound | Outbound[]): void {
    if (this.ended) return;
    let chunk = '';
    if (Array.isArray(messages)) for (const message of messages) chunk += this.render(message);
    else chunk = this.render(messages);
    this.response.write(chunk);
    this.lastWrite = Date.now();
  }

  bufferedBytes(): number {
    return this.response.writableLength;
  }

  close(code: number): void {
    if (this.ended) return;
    this.ended = true;
    this.response.end();
    this.onEnd(code);
  }

  tick(now: number): void {
    if (this.ended || now - this.lastWrite < HEARTBEAT_MS) return;
    this.response.write(': heartbeat\n\n');
    this.lastWrite = now;
  }

  /** The client went away. */
  gone(): void {
    if (this.ended) return;
    this.ended = true;
    this.onEnd(1006);
  }

  private render(message: Outbound): string {
    const index =
      message.channel === undefined || !message.position ? undefined : this.channelIndex.get(message.channel);
    if (index === undefined) return message.sseBlock();
    this.positions[index] = message.position!;
    return `id: ${encodeStreamId(this.positions)}\n${message.sseBlock()}`;
  }
}

export function openSse(
  context: HttpTransportContext,
  request: IncomingMessage,
  response: ServerResponse,
  key: string,
  search: URLSearchParams,
): void {
  const app = admit(context, key, request);
  const channels = urlChannels(app, search);
  const resume = resumePositions(request, search, channels.length);
  response.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
    ...corsHeaders(request),
  });
  response.write('retry: 2000\n\n');
  request.socket.setNoDelay(true);

  const transport = openSession(context, {
    app,
    channels,
    resume,
    transport: (_token, onEnd) => new SseTransport(response, channels, [...resume], onEnd),
  });
  response.on('close', () => transport.gone());
}
