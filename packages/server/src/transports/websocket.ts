/**
 * The WebSocket transport: `/app/{key}?protocol=7`. `ws` does the handshake and parses inbound frames; outbound
 * frames are pre-built once per message (`Outbound.wsFrame`) and written straight to the TCP socket; frames that
 * queued up in the same event-loop turn leave joined in one write, joined once for every socket that gets them.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { type AppRegistry, originAllowed } from '../apps/registry.js';
import type { Hub } from '../channels/hub.js';
import { Connection, type Transport } from '../connections/connection.js';
import type { ConnectionHandler } from '../connections/handler.js';
import type { Outbound } from '../connections/outbound.js';
import { newSocketId } from '../connections/socket-id.js';
import { type ConnectionErrorSpec, ConnectionErrors } from '../protocol/errors.js';
import { MAX_INBOUND_FRAME_BYTES } from '../protocol/limits.js';
import { errorMessage } from '../protocol/messages.js';

/**
 * The last batch written and its frames as one buffer. Every subscriber of the same channels is handed the same
 * messages in the same turn, so the frames are joined once for all of them, and each socket gets one plain write
 * (one buffer, no cork/writev bookkeeping per socket). Messages are compared by identity: an `Outbound` always
 * encodes to the same frame.
 */
let lastBatch: Outbound[] = [];
let lastBatchFrames: Buffer = Buffer.alloc(0);

function framesOf(messages: Outbound[]): Buffer {
  if (!sameMessages(messages, lastBatch)) {
    lastBatch = messages.slice();
    lastBatchFrames = Buffer.concat(messages.map((message) => message.wsFrame()));
  }
  return lastBatchFrames;
}

function sameMessages(a: Outbound[], b: Outbound[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

/**
 * `ws`'s socket, extended to be the connection's `Transport` itself and to hold typed back-references, so no
 * closure and no extra object exist per connection: flushing touches this object and the TCP socket only, which
 * matters when one event goes out to 10,000 sockets and every pointer followed is a cache miss.
 */
class PressRelaySocket extends WebSocket implements Transport {
  readonly name = 'ws' as const;
  connection: Connection | null = null;
  handler: ConnectionHandler | null = null;
  /** The TCP socket: frames are written to it directly (ws keeps its own reference private). */
  tcp: Duplex | null = null;

  flush(messages: Outbound | Outbound[]): void {
    const socket = this.tcp;
    if (socket === null || this.readyState !== WebSocket.OPEN) return;
    if (!Array.isArray(messages)) {
      socket.write(messages.wsFrame());
      return;
    }
    socket.write(framesOf(messages));
  }

  bufferedBytes(): number {
    return this.tcp?.writableLength ?? 0;
  }

  // close(code, reason) is ws's own: it sends the close frame once and ignores calls after that.
}

export interface WebSocketEndpointOptions {
  apps: AppRegistry;
  hub: Hub;
  handler: ConnectionHandler;
  isShuttingDown: () => boolean;
}

const SUPPORTED_PROTOCOLS = { min: 4, max: 7 };

export class WebSocketEndpoint {
  private readonly server = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    clientTracking: false,
    maxPayload: MAX_INBOUND_FRAME_BYTES,
    WebSocket: PressRelaySocket,
  });

  constructor(private readonly options: WebSocketEndpointOptions) {}

  /** Handles an HTTP upgrade whose path (prefix stripped) is `/app/...`. */
  upgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    path: string,
    search: URLSearchParams,
  ): void {
    // Read what we need now: the request object is not kept alive with the connection.
    const origin = request.headers.origin;
    socket.on('error', ignoreSocketError);
    this.server.handleUpgrade(request, socket, head, (ws) => {
      this.accept(ws as PressRelaySocket, socket, path, search, origin);
    });
  }

  private accept(
    ws: PressRelaySocket,
    socket: Duplex,
    path: string,
    search: URLSearchParams,
    origin?: string,
  ) {
    ws.on('error', ignoreSocketError);
    const { apps, handler, hub } = this.options;
    if (this.options.isShuttingDown()) return refuseSocket(ws, ConnectionErrors.SERVER_SHUTTING_DOWN);
    const match = /^\/app\/([^/]+)\/?$/.exec(path);
    if (!match) return refuseSocket(ws, ConnectionErrors.PATH_NOT_FOUND);
    const app = apps.findByKey(decodeURIComponent(match[1]!));
    if (!app) return refuseSocket(ws, ConnectionErrors.APP_NOT_FOUND);
    if (!app.enabled) return refuseSocket(ws, ConnectionErrors.APP_DISABLED);
    if (!originAllowed(origin, app.allowedOrigins))
      return refuseSocket(ws, ConnectionErrors.ORIGIN_NOT_ALLOWED);
    const protocolProblem = checkProtocol(search.get('protocol'));
    if (protocolProblem) return refuseSocket(ws, protocolProblem);

    ws.tcp = socket;
    const connection = new Connection(newSocketId(hub, app.id), app, ws, Date.now());
    ws.connection = connection;
    ws.handler = handler;
    ws.on('message', onMessage);
    ws.on('close', onClose);
    void handler.open(connection).then((admitted) => {
      if (!admitted) ws.connection = null;
    });
  }
}

function onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  const { connection, handler } = this as PressRelaySocket;
  if (!connection || !handler) return;
  if (isBinary) return handler.rejectBinary(connection);
  handler.receive(connection, data.toString());
}

function onClose(this: WebSocket, code: number): void {
  const socket = this as PressRelaySocket;
  const { connection, handler } = socket;
  socket.connection = null;
  socket.handler = null;
  socket.tcp = null;
  if (connection && handler) handler.closed(connection, code);
}

function ignoreSocketError(): void {
  // Resets and protocol errors end in 'close'; the connection is cleaned up there.
}

function refuseSocket(ws: WebSocket, error: ConnectionErrorSpec): void {
  ws.send(errorMessage(error));
  ws.close(error.code ?? 4000, error.message);
}

export function checkProtocol(value: string | null): ConnectionErrorSpec | null {
  if (value === null || value === '') return ConnectionErrors.NO_PROTOCOL;
  if (!/^\d+$/.test(value)) return ConnectionErrors.INVALID_VERSION;
  const version = Number(value);
  if (version < SUPPORTED_PROTOCOLS.min || version > SUPPORTED_PROTOCOLS.max) {
    return ConnectionErrors.UNSUPPORTED_PROTOCOL;
  }
  return null;
}
