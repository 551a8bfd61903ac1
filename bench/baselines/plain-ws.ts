/**
 * Memory baseline: a plain `ws` server that only sends the Pusher handshake (so the same load
 * generator counts its connections) and keeps nothing per connection. With `--keep-request` it also
 * holds on to each upgrade request, as a server that stores `req` on the connection would.
 */

import type { IncomingMessage } from 'node:http';
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { answerMemoryRequests, reportListening } from './shared/lifecycle.js';
import { connectionEstablished } from './shared/pusher-lite.js';

const keepRequest = process.argv.includes('--keep-request');
const established = connectionEstablished(`${process.pid}.1`);
const held: IncomingMessage[] = [];

const http = createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server: http });
wss.on('connection', (ws, req) => {
  if (keepRequest) held.push(req);
  ws.send(established);
});
http.listen({ port: 0, host: '127.0.0.1' }, () => reportListening(http));
answerMemoryRequests();
