/**
 * Server-Sent Events transport (docs/protocol.md §4): `GET …/sse?channel=…&last_event_id=…` downstream, POST
 * upstream. The client reconnects by itself (with `last_event_id`), so the EventSource is closed at its first
 * error instead of letting it retry. EventSource dispatches messages by their `event:` name, so every name the
 * client cares about is listened to, including names bound later (`listen`).
 */

import {
  type Envelope,
  type EventSourceConstructor,
  type EventSourceLike,
  errorCode,
  type FetchFunction,
  internalData,
  parseEnvelope,
  type Transport,
  type TransportHooks,
} from './types.js';
import { Upstream } from './upstream.js';

/** Protocol messages the client handles itself. */
export const PROTOCOL_EVENTS = [
  'message',
  'pusher:connection_established',
  'pusher:error',
  'pusher:ping',
  'pusher:pong',
  'pusher:signin_success',
  'pusher:subscription_error',
  'pusher:cache_miss',
  'pusher_internal:subscription_succeeded',
  'pusher_internal:member_added',
  'pusher_internal:member_removed',
  'pusher_internal:subscription_count',
];

export function openSse(
  Source: EventSourceConstructor,
  fetch: FetchFunction,
  baseUrl: string,
  query: string,
  events: Iterable<string>,
  hooks: TransportHooks,
): Transport {
  const source = new Source(`${baseUrl}/sse${query}`) as EventSourceLike;
  const listening = new Set<string>();
  let open = true;
  let lastErrorCode: number | null = null;

  const die = (reason: string) => {
    if (!open) return;
    close();
    hooks.closed(lastErrorCode, reason);
  };
  const upstream = new Upstream(fetch, `${baseUrl}/send`, die);
  const onMessage = (event: { data?: unknown }) => {
    if (!open) return;
    const envelope = parseEnvelope(event.data);
    if (!envelope) return;
    if (envelope.event === 'pusher:connection_established') {
      const session = internalData(envelope).session;
      if (typeof session === 'string') upstream.start(session);
    } else if (envelope.event === 'pusher:error') {
      lastErrorCode = errorCode(envelope) ?? lastErrorCode;
    }
    hooks.message(envelope);
  };
  const listen = (event: string) => {
    if (listening.has(event)) return;
    listening.add(event);
    source.addEventListener(event, onMessage);
  };
  const close = () => {
    open = false;
    upstream.stop();
    source.onerror = null;
    source.close();
  };

  for (const event of PROTOCOL_EVENTS) listen(event);
  for (const event of events) listen(event);
  source.onerror = () => die('event stream ended');
  return {
    name: 'sse',
    send: (message: Envelope) => upstream.send(message),
    close: () => {
      if (open) close();
    },
    listen,
  };
}
