/**
 * Baseline 3, "coalescing pre-framed": the frame is built once as in the pre-framed loop, but a socket
 * is corked on its first frame of the tick and every corked socket is uncorked once, in one
 * setImmediate after the poll phase. Frames of all events that arrived in the same tick then leave in
 * one `writev` per socket instead of one `write` per frame.
 */
import type { Socket } from 'node:net';
import { textFrame } from './shared/frame.js';
import { runBaseline } from './shared/server.js';

let corked: Socket[] = [];
let flushScheduled = false;

function flush(): void {
  const sockets = corked;
  corked = [];
  flushScheduled = false;
  for (const socket of sockets) socket.uncork();
}

runBaseline((event, channel, subscribers) => {
  const frame = textFrame(JSON.stringify({ event: event.name, channel, data: event.data }));
  for (const { socket } of subscribers) {
    if (!socket.writable) continue;
    if (socket.writableCorked === 0) {
      socket.cork();
      corked.push(socket);
    }
    socket.write(frame);
  }
  if (!flushScheduled && corked.length > 0) {
    flushScheduled = true;
    setImmediate(flush);
  }
});
