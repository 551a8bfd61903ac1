/**
 * Baseline 2, "pre-framed": serialize the envelope once, build the WebSocket frame once, and write the
 * same buffer to every subscriber's socket. Still one `write` syscall per socket per event.
 */
import { textFrame } from './shared/frame.js';
import { runBaseline } from './shared/server.js';

runBaseline((event, channel, subscribers) => {
  const frame = textFrame(JSON.stringify({ event: event.name, channel, data: event.data }));
  for (const { socket } of subscribers) {
    if (socket.writable) socket.write(frame);
  }
});
