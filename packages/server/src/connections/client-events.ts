/**
 * Client events (`client-*`): only where the app enables them, only on private and presence channels, only from
 * subscribed sockets, rate-limited per connection, size-limited, never echoed to the sender, with `user_id` on
 * presence channels, and a `client_event` webhook. Transient: no position, no history.
 */
import { channelType } from '../protocol/channels.js';
import { ConnectionErrors } from '../protocol/errors.js';
import { eventNameProblem } from '../protocol/events.js';
import type { Connection } from './connection.js';
import { type Services, sendError } from './services.js';

export interface ClientEvent {
  event: string;
  channel: string;
  data: unknown;
}

export async function clientEvent(
  services: Services,
  connection: Connection,
  message: ClientEvent,
): Promise<void> {
  const { app } = connection;
  const { channel, event } = message;
  if (!app.enableClientMessages)
    return sendError(services, connection, ConnectionErrors.CLIENT_EVENTS_DISABLED);
  if (!channelType(channel).allowsClientEvents) {
    return sendError(services, connection, ConnectionErrors.CLIENT_EVENT_WRONG_CHANNEL, channel);
  }
  const subscription = connection.subscriptions?.get(channel);
  if (!subscription)
    return sendError(services, connection, ConnectionErrors.CLIENT_EVENT_NOT_SUBSCRIBED, channel);
  const nameProblem = eventNameProblem(event, app.limits.maxEventNameLength);
  if (nameProblem) return sendError(services, connection, ConnectionErrors.INVALID_MESSAGE, nameProblem);
  if (!withinRate(connection, Date.now())) {
    return sendError(
      services,
      connection,
      ConnectionErrors.CLIENT_EVENT_RATE_LIMIT,
      `limit ${app.limits.clientEventsPerSecond}/s`,
    );
  }
  const size = Buffer.byteLength(JSON.stringify(message.data ?? null));
  if (size > app.limits.maxClientEventBytes) {
    return sendError(
      services,
      connection,
      ConnectionErrors.CLIENT_EVENT_TOO_LARGE,
      `${size} bytes; the limit is ${app.limits.maxClientEventBytes}`,
    );
  }
  services.metrics.messagesIn.inc({ source: 'client_event' });
  const userId = subscription.presenceUserId;
  await services.adapter.publish(
    app.id,
    channel,
    userId === undefined
      ? { name: event, data: message.data, excludeSocketId: connection.socketId }
      : { name: event, data: message.data, excludeSocketId: connection.socketId, userId },
    { history: null, cacheTtlMs: null },
  );
  services.webhooks.emit(app, {
    name: 'client_event',
    channel,
    event,
    data: message.data,
    socket_id: connection.socketId,
    ...(userId === undefined ? {} : { user_id: userId }),
  });
}

/** A fixed one-second window per connection: two numbers, no timer. */
function withinRate(connection: Connection, now: number): boolean {
  if (now - connection.clientEventWindowStart >= 1000) {
    connection.clientEventWindowStart = now;
    connection.clientEventCount = 0;
  }
  connection.clientEventCount++;
  return connection.clientEventCount <= connection.app.limits.clientEventsPerSecond;
}
