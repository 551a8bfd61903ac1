/**
 * The part all three delivery baselines share: one HTTP server for the API and the WebSocket upgrade,
 * a channel → subscribers map, the handshake, subscribe and ping. Each baseline differs only in its
 * `deliver` function, which is what the benchmark compares. This is the plain style of the tutorials
 * (a closure per connection), not an optimized connection layer.
 */
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { eventsHandler, type PublishedEvent } from './http-api.js';
import { answerMemoryRequests, reportListening } from './lifecycle.js';
import {
  connectionEstablished,
  isAppPath,
  newSocketId,
  PONG,
  parseClientCommand,
  subscriptionSucceeded,
} from './pusher-lite.js';

export interface Subscriber {
  ws: WebSocket;
  /** The raw TCP socket under `ws`, for writing pre-built frames. */
  socket: Socket;
}

export type Deliver = (event: PublishedEvent, channel: string, subscribers: Set<Subscriber>) => void;

export function runBaseline(deliver: Deliver): void {
  const channels = new Map<string, Set<Subscriber>>();
  const http = createServer(
    eventsHandler((event) => {
      for (const channel of event.channels) {
        const subscribers = channels.get(channel);
        if (subscribers) deliver(event, channel, subscribers);
      }
    }),
  );
  const wss = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req, socket, head) => {
    if (!isAppPath(req.url)) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const subscriber: Subscriber = { ws, socket: socket as Socket };
      const joined = new Set<string>();
      ws.send(connectionEstablished(newSocketId()));
      ws.on('message', (raw) => {
        const command = parseClientCommand(raw.toString());
        if (!command) return;
        if (command.event === 'pusher:ping') ws.send(PONG);
        else if (command.event === 'pusher:subscribe' && command.channel) {
          let set = channels.get(command.channel);
          if (!set) {
            set = new Set();
            channels.set(command.channel, set);
          }
          set.add(subscriber);
          joined.add(command.channel);
          ws.send(subscriptionSucceeded(command.channel));
        } else if (command.event === 'pusher:unsubscribe' && command.channel) {
          channels.get(command.channel)?.delete(subscriber);
          joined.delete(command.channel);
        }
      });
      ws.on('close', () => {
        for (const channel of joined) {
          const set = channels.get(channel);
          set?.delete(subscriber);
          if (set?.size === 0) channels.delete(channel);
        }
      });
    });
  });
  http.listen({ port: 0, host: '127.0.0.1' }, () => reportListening(http));
  answerMemoryRequests();
}
