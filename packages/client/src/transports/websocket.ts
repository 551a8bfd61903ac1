/** WebSocket transport: both directions on one socket. */
import type { Envelope, Transport, TransportHooks, WebSocketConstructor, WebSocketLike } from './types.js';
import { parseEnvelope } from './types.js';

export function openWebSocket(Socket: WebSocketConstructor, url: string, hooks: TransportHooks): Transport {
  const socket = new Socket(url) as WebSocketLike;
  let open = true;
  socket.onmessage = (event) => {
    if (!open) return;
    const envelope = parseEnvelope(typeof event.data === 'string' ? event.data : String(event.data));
    if (envelope) hooks.message(envelope);
  };
  socket.onclose = (event) => {
    if (!open) return;
    open = false;
    hooks.closed(event.code, event.reason || 'WebSocket closed');
  };
  // A failed socket also fires `close`; the error itself carries nothing useful.
  socket.onerror = () => {};
  return {
    name: 'ws',
    send(message: Envelope) {
      if (open && socket.readyState === 1) socket.send(JSON.stringify(message));
    },
    close() {
      if (!open) return;
      open = false;
      socket.onmessage = null;
      socket.onclose = null;
      try {
        socket.close(1000);
      } catch {
        // Closing a socket that is still connecting throws in some implementations; it is dropped either way.
      }
    },
  };
}
