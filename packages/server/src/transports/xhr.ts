/**
 * pusher-js's own HTTP fallbacks (`xhr_streaming`, `xhr_polling`), so pages that use pusher-js or laravel-echo
 * keep working where WebSockets are blocked. Under `/pusher/app/{key}/{server}/{session}/`:
 * - `xhr_streaming` (POST): a long response of newline-terminated frames: `o` (open), `a[...]` (messages, each a
 *   JSON string), `h` (heartbeat), `c[code,"reason"]` (close). pusher-js restarts it after 256 KB.
 * - `xhr` (POST): the same frames, one answer per request; pusher-js polls again at once after a 200.
 * - `xhr_send` (POST): body `["<message json>", ...]`; `[]` is a heartbeat.
 * The session (`{server}/{session}`) is chosen by pusher-js; `o` goes out once per session, so a restarted stream
 * or a new poll continues the same connection.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../api/http.js';
import { Connection, type Transport } from '../connections/connection.js';
import type { Outbound } from '../connections/outbound.js';
import { newSocketId } from '../connections/socket-id.js';
import { HttpError } from '../protocol/errors.js';
import { admit, corsHeaders, type HttpTransportContext } from './http-common.js';

const HEARTBEAT_MS = 25_000;
const SESSION_TIMEOUT_MS = 60_000;
const MAX_SEND_BYTES = 64 * 1024;

type Kind = 'xhr_streaming' | 'xhr_polling';

export class XhrTransport implements Transport {
  private response: ServerResponse | null = null;
  private queue: string[] = [];
  private queuedBytes = 0;
  private opened = false;
  private ended = false;
  private lastRequest = Date.now();
  private lastWrite = Date.now();

  constructor(
    readonly name: Kind,
    private readonly onEnd: (code: number) => void,
  ) {}

  flush(messages: Outbound | Outbound[]): void {
    if (this.ended) return;
    if (Array.isArray(messages)) for (const message of messages) this.enqueue(message.quoted());
    else this.enqueue(messages.quoted());
    this.deliver();
  }

  private enqueue(quoted: string): void {
    this.queue.push(quoted);
    this.queuedBytes += quoted.length;
  }

  bufferedBytes(): number {
    return this.queuedBytes + (this.response?.writableLength ?? 0);
  }

  close(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.queue.push(`\u0000c${JSON.stringify([code, reason])}`);
    this.deliver();
    this.onEnd(code);
  }

  tick(now: number): void {
    if (this.response) {
      if (now - this.lastWrite < HEARTBEAT_MS) return;
      if (this.name === 'xhr_streaming') this.write('h\n');
      else this.finish('h\n');
      return;
    }
    if (!this.ended && now - this.lastRequest > SESSION_TIMEOUT_MS) {
      this.ended = true;
      this.onEnd(1006);
    }
  }

  /** A receive request (`xhr_streaming` or `xhr`) for this session. */
  attach(response: ServerResponse, headers: Record<string, string>): void {
    this.lastRequest = Date.now();
    if (this.response) this.finish('');
    response.writeHead(200, {
      'Content-Type': 'application/javascript; charset=UTF-8',
      'Cache-Control': 'no-store, no-cache, must-revalidate, max-age=0',
      ...headers,
    });
    this.response = response;
    response.on('close', () => {
      if (this.response === response) this.response = null;
    });
    if (!this.opened) {
      this.opened = true;
      if (this.name === 'xhr_polling') return this.finish('o\n');
      this.write('o\n');
    }
    this.deliver();
  }

  /** Activity on the upstream (`xhr_send`, heartbeats included). */
  touch(): void {
    this.lastRequest = Date.now();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  private deliver(): void {
    if (!this.response || this.queue.length === 0) return;
    let frames = '';
    let messages: string[] = [];
    for (const entry of this.queue) {
      if (entry.startsWith('\u0000')) {
        if (messages.length > 0) frames += `a[${messages.join(',')}]\n`;
        messages = [];
        frames += `${entry.slice(1)}\n`;
      } else {
        messages.push(entry);
      }
    }
    if (messages.length > 0) frames += `a[${messages.join(',')}]\n`;
    this.queue = [];
    this.queuedBytes = 0;
    if (this.name === 'xhr_polling' || this.ended) this.finish(frames);
    else this.write(frames);
  }

  private write(text: string): void {
    this.response?.write(text);
    this.lastWrite = Date.now();
  }

  private finish(text: string): void {
    const response = this.response;
    this.response = null;
    response?.end(text);
    this.lastWrite = Date.now();
  }
}

/** `server/session` key → connection, per app key. */
export class XhrSessions {
  private readonly sessions = new Map<string, Connection>();

  get(id: string): Connection | undefined {
    return this.sessions.get(id);
  }

  set(id: string, connection: Connection): void {
    this.sessions.set(id, connection);
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }
}

export async function handleXhr(
  context: HttpTransportContext,
  sessions: XhrSessions,
  request: IncomingMessage,
  response: ServerResponse,
  key: string,
  session: string,
  action: string,
): Promise<void> {
  const headers = corsHeaders(request);
  const id = `${key}/${session}`;
  const existing = sessions.get(id);
  if (action === 'xhr_send') {
    const transport = existing?.transport;
    if (!existing || existing.closed || !(transport instanceof XhrTransport)) {
      throw new HttpError(404, 'UNKNOWN_SESSION', 'unknown or closed session');
    }
    transport.touch();
    existing.lastSeen = Date.now();
    const payload = parseSendBody(await readBody(request, MAX_SEND_BYTES));
    for (const message of payload) context.handler.receive(existing, message);
    response.writeHead(204, headers);
    response.end();
    return;
  }
  const kind: Kind = action === 'xhr_streaming' ? 'xhr_streaming' : 'xhr_polling';
  if (existing) {
    const transport = existing.transport;
    if (!(transport instanceof XhrTransport) || transport.name !== kind) {
      throw new HttpError(400, 'SESSION_TRANSPORT', 'this session uses another transport');
    }
    request.resume();
    transport.attach(response, headers);
    return;
  }
  const app = admit(context, key, request);
  request.resume();
  let connection: Connection | null = null;
  const transport = new XhrTransport(kind, (code) => {
    setTimeout(() => sessions.delete(id), HEARTBEAT_MS).unref();
    if (connection) context.handler.closed(connection, code);
  });
  connection = new Connection(newSocketId(context.hub, app.id), app, transport, Date.now());
  sessions.set(id, connection);
  transport.attach(response, headers);
  void context.handler.open(connection);
}

function parseSendBody(body: Buffer): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8') || '[]');
  } catch {
    throw new HttpError(400, 'INVALID_JSON', 'xhr_send body must be a JSON array of message strings');
  }
  if (!Array.isArray(parsed) || !parsed.every((entry) => typeof entry === 'string')) {
    throw new HttpError(400, 'INVALID_BODY', 'xhr_send body must be a JSON array of message strings');
  }
  return parsed as string[];
}
