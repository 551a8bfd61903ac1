/**
 * A load-generator process holding many raw WebSocket subscribers (no pusher-js: too heavy for
 * thousands of sockets per process). It speaks the protocol directly, counts every delivered event,
 * and records publish-to-receive latency from the timestamp in the payload.
 */
import WebSocket from 'ws';
import { findMarker, readSentAt } from '../lib/payload.js';
import { openAll } from './opener.js';
import { type ConnectCommand, channelName } from './protocol.js';
import { delivered, Recorder } from './recorder.js';
import { runWorker } from './worker-loop.js';

const recorder = new Recorder();
const sockets: WebSocket[] = [];
let dropped = 0;

function connect(command: ConnectCommand): void {
  const url = `${command.baseUrl}/app/${command.appKey}?protocol=7&client=bench&version=1.0`;
  openAll(command, (i, setup) => {
    const channel = channelName(command.channels, i);
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      localAddress: command.localAddresses[i % command.localAddresses.length],
      handshakeTimeout: command.timeoutMs,
    });
    const tracked = delivered();
    let ready = false;
    ws.on('message', (data: Buffer) => {
      const at = findMarker(data);
      if (at >= 0) {
        recorder.deliver(readSentAt(data, at), tracked);
        return;
      }
      recorder.other += 1;
      const text = data.toString();
      if (text.includes('pusher:connection_established')) {
        setup.opened();
        if (command.subscribe)
          ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { auth: '', channel } }));
        else ready = true;
      } else if (text.includes('subscription_succeeded')) {
        ready = true;
        setup.subscribed();
      } else if (text.includes('pusher:error') || text.includes('subscription_error')) {
        setup.error(text.slice(0, 200));
      }
    });
    ws.on('error', (err) => setup.error(err.message));
    ws.on('unexpected-response', (_req, res) => {
      setup.failed(`HTTP ${res.statusCode}`, res.statusCode);
      ws.terminate();
    });
    ws.on('close', (code) => {
      if (ready) dropped += 1;
      else setup.failed(`closed ${code} during set-up`);
    });
    sockets.push(ws);
  });
}

runWorker(recorder, {
  connect,
  dropped: () => dropped,
  resetDropped: () => {
    dropped = 0;
  },
  closeAll: () => {
    for (const ws of sockets) ws.terminate();
  },
});
