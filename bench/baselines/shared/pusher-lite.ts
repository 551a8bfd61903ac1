/**
 * Just enough of the Pusher protocol (pusher-protocol.md §1.2, §1.3, §2.2) for the load generator to
 * drive a baseline exactly as it drives PressRelay: handshake, subscribe, ping. No auth, no presence.
 */
let nextSocket = 0;

export function newSocketId(): string {
  nextSocket += 1;
  return `${process.pid}.${nextSocket}`;
}

export function connectionEstablished(socketId: string): string {
  return JSON.stringify({
    event: 'pusher:connection_established',
    data: JSON.stringify({ socket_id: socketId, activity_timeout: 120 }),
  });
}

export function subscriptionSucceeded(channel: string): string {
  return JSON.stringify({ event: 'pusher_internal:subscription_succeeded', channel, data: '{}' });
}

export const PONG = '{"event":"pusher:pong","data":{}}';

export interface ClientCommand {
  event: string;
  channel?: string;
}

/** The event name and, for (un)subscribe, the channel; null for anything unparseable. */
export function parseClientCommand(raw: string): ClientCommand | null {
  let message: unknown;
  try {
    message = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof message !== 'object' || message === null) return null;
  const { event } = message as { event?: unknown };
  if (typeof event !== 'string') return null;
  let data = (message as { data?: unknown }).data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      data = undefined;
    }
  }
  const channel =
    typeof data === 'object' && data !== null ? (data as { channel?: unknown }).channel : undefined;
  return typeof channel === 'string' ? { event, channel } : { event };
}

/** `/app/{key}` (query ignored): the WebSocket endpoint. */
export function isAppPath(url: string | undefined): boolean {
  return url !== undefined && /^\/app\/[^/?]+(\?|$)/.test(url);
}
