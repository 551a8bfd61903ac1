/**
 * The per-connection protocol state machine, shared by every transport: a transport calls `open` once, `receive`
 * for each text frame, and `closed` once when the connection is gone. One connection's messages are handled
 * strictly in order (a subscribe finishes before the next message starts); pings are answered at once.
 */
import { ConnectionErrors } from '../protocol/errors.js';
import { connectionEstablished, PONG, parseClientMessage } from '../protocol/messages.js';
import { clientEvent } from './client-events.js';
import type { Connection } from './connection.js';
import { refuse, type Services, sendError, sendJson } from './services.js';
import { subscribe, unsubscribe } from './subscribe.js';
import { signin, signout } from './users.js';

/**
 * Bytes of inbound messages a connection may have waiting to be handled; beyond this it is flooding and is
 * closed. Measured in bytes, not messages: a client that resubscribes to all its channels at once after a
 * reconnect (up to the subscription limit, a burst of small frames) must fit, a flood of large frames must not.
 */
const MAX_QUEUED_INBOUND_BYTES = 2 * 1024 * 1024;

export class ConnectionHandler {
  constructor(private readonly services: Services) {}

  /**
   * Admits a new connection: checks the app's quota, registers it and sends `pusher:connection_established`.
   * Resolves false (after sending the refusal) when the connection may not stay. Messages that arrive before
   * admission completes wait for it, and are dropped if the connection is refused.
   */
  open(connection: Connection, extra?: Record<string, unknown>): Promise<boolean> {
    return new Promise((resolve) => {
      this.enqueue(connection, 0, async () => {
        let admitted = false;
        try {
          admitted = await this.admit(connection, extra);
        } finally {
          resolve(admitted);
        }
      });
    });
  }

  private async admit(connection: Connection, extra?: Record<string, unknown>): Promise<boolean> {
    const { app } = connection;
    const reserved = await this.services.adapter.reserveConnection(
      app.id,
      connection.socketId,
      app.maxConnections,
    );
    if (!reserved) {
      refuse(this.services, connection, ConnectionErrors.OVER_CONNECTION_QUOTA);
      return false;
    }
    connection.reserved = true;
    if (connection.closed) return false;
    this.services.hub.addConnection(connection);
    this.services.metrics.connectionsOpened.inc({ transport: connection.transport.name });
    sendJson(connection, connectionEstablished(connection.socketId, app.activityTimeoutSeconds, extra));
    return true;
  }

  /** One text frame from the client. */
  receive(connection: Connection, text: string): void {
    if (connection.closed) return;
    connection.lastSeen = Date.now();
    connection.pingSentAt = 0;
    const message = parseClientMessage(text);
    switch (message.type) {
      case 'ping':
        return sendJson(connection, PONG);
      case 'pong':
        return;
      case 'error':
        return sendError(this.services, connection, message.error, message.detail);
    }
    this.services.metrics.messagesIn.inc({ source: connection.transport.name });
    this.enqueue(connection, text.length, () => {
      if (connection.closed || !connection.reserved) return undefined;
      switch (message.type) {
        case 'subscribe':
          return subscribe(this.services, connection, message);
        case 'unsubscribe':
          return unsubscribe(this.services, connection, message.channel);
        case 'signin':
          return signin(this.services, connection, message.auth, message.userData);
        case 'client-event':
          return clientEvent(this.services, connection, message);
      }
    });
  }

  /** A frame the protocol cannot carry (binary): answered with an error, the connection stays. */
  rejectBinary(connection: Connection): void {
    connection.lastSeen = Date.now();
    sendError(this.services, connection, ConnectionErrors.BINARY_NOT_SUPPORTED);
  }

  /** The transport is gone. Cleans up after any message still being handled. */
  closed(connection: Connection, code: number): void {
    if (connection.closed) return;
    connection.closed = true;
    this.services.metrics.connectionsClosed.inc({ code: String(code) });
    this.services.hub.removeConnection(connection);
    this.enqueue(connection, 0, () => this.cleanUp(connection));
  }

  private async cleanUp(connection: Connection): Promise<void> {
    const { adapter } = this.services;
    for (const channel of [...(connection.subscriptions?.keys() ?? [])]) {
      await unsubscribe(this.services, connection, channel);
    }
    await signout(this.services, connection);
    if (connection.reserved) await adapter.releaseConnection(connection.app.id, connection.socketId);
  }

  /** Queues work behind the connection's earlier messages; `bytes` 0 is never refused (admission, clean-up). */
  private enqueue(connection: Connection, bytes: number, work: () => Promise<void> | undefined): void {
    if (bytes > 0 && connection.inboundWaiting + bytes > MAX_QUEUED_INBOUND_BYTES) {
      refuse(this.services, connection, ConnectionErrors.OVER_CAPACITY, 'too many messages waiting');
      return;
    }
    connection.inboundWaiting += bytes;
    const run = async () => {
      try {
        await work();
      } catch (error) {
        this.services.logger.error({ err: error, socketId: connection.socketId }, 'message handling failed');
        if (!connection.closed)
          sendError(this.services, connection, ConnectionErrors.INVALID_MESSAGE, 'internal error');
      } finally {
        connection.inboundWaiting -= bytes;
      }
    };
    const previous = connection.inbound;
    const next = previous ? previous.then(run) : run();
    connection.inbound = next;
    void next.then(() => {
      if (connection.inbound === next) connection.inbound = null;
    });
  }
}
