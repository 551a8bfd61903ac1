/**
 * Long-polling: `GET /app/{key}/poll?channel=…` opens, `GET /app/{key}/poll?session=…&ack=N` waits up to 25 s
 * for messages after N. Messages stay queued until acknowledged, so a poll lost in flight loses nothing: the next
 * poll with the same `ack` gets them again. Upstream goes through `POST /app/{key}/send`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../api/http.js';
import type { Transport } from '../connections/connection.js';
import type { Outbound } from '../connections/outbound.js';
import { HttpError } from '../protocol/errors.js';
import {
  admit,
  corsHeaders,
  type HttpTransportContext,
  openSession,
  resumePositions,
  urlChannels,
} from './http-common.js';

export const POLL_WAIT_MS = 25_000;
export const POLL_SESSION_TIMEOUT_MS = 60_000;

interface Queued {
  seq: number;
  json: string;
}

export class PollTransport implements Transport {
  readonly name = 'poll' as const;
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private nextSeq = 1;
  private acked = 0;
  private waiting: { response: ServerResponse; since: number; headers: Record<string, string> } | null = null;
  private lastPoll: number;
  private ended = false;

  constructor(
    private readonly token: string,
    private readonly onEnd: (code: number) => void,
  ) {
    this.lastPoll = Date.now();
  }

  flush(messages: Outbound | Outbound[]): void {
    if (this.ended) return;
    if (Array.isArray(messages)) for (const message of messages) this.enqueue(message);
    else this.enqueue(messages);
    if (this.waiting) this.answer();
  }

  private enqueue(message: Outbound): void {
    this.queue.push({ seq: this.nextSeq++, json: message.json });
    this.queuedBytes += message.json.length;
  }

  bufferedBytes(): number {
    return this.queuedBytes;
  }

  close(code: number): void {
    if (this.ended) return;
    this.ended = true;
    // Hand over what is queued (the pusher:error explaining the close included); later polls get 404.
    if (this.waiting) this.answer();
    this.onEnd(code);
  }

  tick(now: number): void {
    if (this.ended) return;
    if (this.waiting) {
      if (now - this.waiting.since >= POLL_WAIT_MS) this.answer();
    } else if (now - this.lastPoll > POLL_SESSION_TIMEOUT_MS) {
      this.ended = true;
      this.onEnd(1006);
    }
  }

  /** A poll arrived: forget what it acknowledges, answer now if anything is left, else wait. */
  poll(response: ServerResponse, ack: number, headers: Record<string, string>): void {
    this.lastPoll = Date.now();
    if (this.waiting) this.answer();
    this.acknowledge(ack);
    if (this.ended && this.queue.length === 0) {
      sendJson(
        response,
        404,
        { error: 'the connection is closed: reconnect', code: 'SESSION_CLOSED' },
        headers,
      );
      return;
    }
    this.waiting = { response, since: this.lastPoll, headers };
    response.on('close', () => {
      if (this.waiting?.response === response) this.waiting = null;
    });
    if (this.queue.length > 0 || this.ended) this.answer();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  private acknowledge(ack: number): void {
    if (ack <= this.acked) return;
    this.acked = Math.min(ack, this.nextSeq - 1);
    let drop = 0;
    while (drop < this.queue.length && this.queue[drop]!.seq <= this.acked) {
      this.queuedBytes -= this.queue[drop]!.json.length;
      drop++;
    }
    if (drop > 0) this.queue = this.queue.slice(drop);
  }

  private answer(): void {
    const waiting = this.waiting;
    if (!waiting) return;
    this.waiting = null;
    const last = this.queue.length > 0 ? this.queue[this.queue.length - 1]!.seq : this.acked;
    const body = `{"session":${JSON.stringify(this.token)},"seq":${last},"messages":[${this.queue.map((entry) => entry.json).join(',')}]}`;
    waiting.response.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-store',
      'Content-Length': Buffer.byteLength(body),
      ...waiting.headers,
    });
    waiting.response.end(body);
  }
}

export function handlePoll(
  context: HttpTransportContext,
  request: IncomingMessage,
  response: ServerResponse,
  key: string,
  search: URLSearchParams,
): void {
  const token = search.get('session');
  const headers = corsHeaders(request);
  if (token !== null) {
    const connection = context.sessions.get(token);
    const transport = connection?.transport;
    if (!connection || !(transport instanceof PollTransport) || connection.app.key !== key) {
      throw new HttpError(404, 'UNKNOWN_SESSION', 'unknown or closed session: reconnect');
    }
    const ack = Number(search.get('ack') ?? '0');
    if (!Number.isSafeInteger(ack) || ack < 0)
      throw new HttpError(400, 'INVALID_ACK', '"ack" must be a sequence number');
    transport.poll(response, ack, headers);
    return;
  }
  const app = admit(context, key, request);
  const channels = urlChannels(app, search);
  const resume = resumePositions(request, search, channels.length);
  openSession(context, {
    app,
    channels,
    resume,
    transport: (token, onEnd) => new PollTransport(token, onEnd),
    // The client's next poll collects the final messages (the pusher:error explaining the close).
    keepTokenMs: POLL_WAIT_MS,
    beforeOpen: (transport) => transport.poll(response, 0, headers),
  });
}
