/**
 * Baseline 1, "naive": what the WordPress/Pusher tutorials show. For every subscriber, build the
 * envelope object, JSON.stringify it and call `ws.send`, which frames and writes it (one syscall per
 * socket per event).
 */
import { runBaseline } from './shared/server.js';

runBaseline((event, channel, subscribers) => {
  for (const { ws } of subscribers) {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event: event.name, channel, data: event.data }));
  }
});
