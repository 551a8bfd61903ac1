/**
 * Pusher protocol 7 frames: parsing what clients send, encoding what the server sends. Pure: strings in,
 * typed values or strings out. Every inbound frame is a JSON envelope `{event, channel?, data?}`.
 */
import { type ConnectionErrorSpec, ConnectionErrors, type SubscriptionError } from './errors.js';
import { formatPosition, type Position } from './positions.js';

export type ClientMessage =
  | { type: 'ping' }
  | { type: 'pong' }
  | { type: 'subscribe'; channel: string; auth?: string; channelData?: string; resumeFrom?: string }
  | { type: 'unsubscribe'; channel: string }
  | { type: 'signin'; auth: string; userData: string }
  | { type: 'client-event'; event: string; channel: string; data: unknown };

export interface ParseError {
  type: 'error';
  error: ConnectionErrorSpec;
  detail?: string;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** pusher-js sends `data` as an object; older clients send a JSON string. Accept both. */
function dataObject(data: unknown): JsonObject | null {
  if (isObject(data)) return data;
  if (typeof data !== 'string') return null;
  try {
    const parsed: unknown = JSON.parse(data);
    return isObject(parsed) ? parsed : null;
  } catch {
    return null;
  }
}

function invalid(detail: string): ParseError {
  return { type: 'error', error: ConnectionErrors.INVALID_MESSAGE, detail };
}

export function parseClientMessage(text: string): ClientMessage | ParseError {
  let envelope: unknown;
  try {
    envelope = JSON.parse(text);
  } catch {
    return invalid('frame is not valid JSON');
  }
  if (!isObject(envelope) || typeof envelope.event !== 'string') {
    return invalid('frame must be a JSON object with a string "event"');
  }
  const event = envelope.event;
  switch (event) {
    case 'pusher:ping':
      return { type: 'ping' };
    case 'pusher:pong':
      return { type: 'pong' };
    case 'pusher:subscribe':
    case 'pusher:unsubscribe': {
      const data = dataObject(envelope.data);
      if (!data || typeof data.channel !== 'string') return invalid(`${event} needs data.channel`);
      if (event === 'pusher:unsubscribe') return { type: 'unsubscribe', channel: data.channel };
      const message: ClientMessage = { type: 'subscribe', channel: data.channel };
      if (typeof data.auth === 'string' && data.auth !== '') message.auth = data.auth;
      if (typeof data.channel_data === 'string') message.channelData = data.channel_data;
      if (typeof data.resume_from === 'string') message.resumeFrom = data.resume_from;
      return message;
    }
    case 'pusher:signin': {
      const data = dataObject(envelope.data);
      if (!data || typeof data.auth !== 'string' || typeof data.user_data !== 'string') {
        return invalid('pusher:signin needs data.auth and data.user_data strings');
      }
      return { type: 'signin', auth: data.auth, userData: data.user_data };
    }
  }
  if (event.startsWith('client-')) {
    if (typeof envelope.channel !== 'string') return invalid('client events need a "channel"');
    return { type: 'client-event', event, channel: envelope.channel, data: envelope.data };
  }
  return {
    type: 'error',
    error: ConnectionErrors.UNKNOWN_EVENT,
    detail: `unsupported event "${event.slice(0, 64)}"`,
  };
}

// ---- server → client -------------------------------------------------------------------------------------

/** `pusher:*` and `pusher_internal:*` events carry `data` as a JSON string, as Pusher sends them. */
function internal(event: string, data: unknown, channel?: string): string {
  const envelope: JsonObject = { event };
  if (channel !== undefined) envelope.channel = channel;
  envelope.data = JSON.stringify(data);
  return JSON.stringify(envelope);
}

export function connectionEstablished(
  socketId: string,
  activityTimeoutSeconds: number,
  extra?: JsonObject,
): string {
  return internal('pusher:connection_established', {
    socket_id: socketId,
    activity_timeout: activityTimeoutSeconds,
    ...extra,
  });
}

export function errorMessage(error: ConnectionErrorSpec, detail?: string): string {
  return JSON.stringify({
    event: 'pusher:error',
    data: { code: error.code, message: detail ? `${error.message}: ${detail}` : error.message },
  });
}

export const PING = JSON.stringify({ event: 'pusher:ping', data: {} });
export const PONG = JSON.stringify({ event: 'pusher:pong', data: {} });

export interface PresenceSnapshot {
  ids: Array<string | number>;
  hash: Record<string, unknown>;
  count: number;
}

/** Recovery outcome attached to `subscription_succeeded` (extension; pusher-js ignores unknown fields). */
export interface SubscriptionRecovery {
  /** The stream position live delivery continues from. */
  position: Position;
  /** Present when the client asked to resume: whether every missed event follows. */
  recovered?: boolean;
  reason?: string;
  /** How many missed events follow before live ones. */
  missed?: number;
}

export function subscriptionSucceeded(
  channel: string,
  recovery: SubscriptionRecovery | null,
  presence?: PresenceSnapshot,
): string {
  const data: JsonObject = {};
  if (presence) data.presence = presence;
  if (recovery) {
    data.position = formatPosition(recovery.position);
    if (recovery.recovered !== undefined) data.recovered = recovery.recovered;
    if (recovery.reason !== undefined) data.reason = recovery.reason;
    if (recovery.missed !== undefined) data.missed = recovery.missed;
  }
  return internal('pusher_internal:subscription_succeeded', data, channel);
}

export function subscriptionErrorMessage(channel: string, error: SubscriptionError): string {
  return JSON.stringify({ event: 'pusher:subscription_error', channel, data: error });
}

export function memberAdded(channel: string, userId: string | number, userInfo: unknown): string {
  const data: JsonObject = { user_id: userId };
  if (userInfo !== undefined) data.user_info = userInfo;
  return internal('pusher_internal:member_added', data, channel);
}

export function memberRemoved(channel: string, userId: string | number): string {
  return internal('pusher_internal:member_removed', { user_id: userId }, channel);
}

export function cacheMiss(channel: string): string {
  return JSON.stringify({ event: 'pusher:cache_miss', channel });
}

export function subscriptionCount(channel: string, count: number): string {
  return internal('pusher_internal:subscription_count', { subscription_count: count }, channel);
}

export function signinSuccess(userData: string): string {
  return internal('pusher:signin_success', { user_data: userData });
}

export function watchlistEvents(events: Array<{ name: 'online' | 'offline'; user_ids: string[] }>): string {
  return internal('pusher_internal:watchlist_events', { events });
}

/**
 * A channel event as subscribers receive it. `data` is passed through exactly as published (a string from the
 * HTTP API, the client's value for client events). `id` (a publisher-assigned event id) and `position` are
 * PressRelay extension fields.
 */
export function channelEvent(
  event: string,
  channel: string,
  data: unknown,
  extra?: { userId?: string | number; id?: string; position?: Position },
): string {
  const envelope: JsonObject = { event, channel, data };
  if (extra?.userId !== undefined) envelope.user_id = extra.userId;
  if (extra?.id !== undefined) envelope.id = extra.id;
  // Last on purpose: the Redis adapter splices the position in just before the closing brace.
  if (extra?.position) envelope.position = formatPosition(extra.position);
  return JSON.stringify(envelope);
}
