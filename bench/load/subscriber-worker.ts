/**
 * A load-generator process holding many raw WebSocket subscribers (no pusher-js: too heavy for
 * thousands of sockets per process). It speaks the protocol directly, counts every delivered event,
 * and records publish-to-receive latency from the timestamp in the payload.
 */
import WebSocket from 'ws';
import { monoMs } from '../lib/clock.js';
import { exitWithParent, reply } from '../lib/ipc.js';
import { findMarker, readSentAt } from '../lib/payload.js';
import {
  type ConnectCommand,
  type ConnectedReport,
  channelName,
  type ProgressReport,
  type SubscriberReport,
} from './protocol.js';
import { delivered, Recorder } from './recorder.js';

const recorder = new Recorder();
const sockets: WebSocket[] = [];
let dropped = 0;

function connectAll(command: ConnectCommand): void {
  const url = `${command.baseUrl}/app/${command.appKey}?protocol=7&client=bench&version=1.0`;
  const started = monoMs();
  let next = 0;
  let opened = 0;
  let subscribed = 0;
  let failed = 0;
  let inFlight = 0;
  let finished = false;
  const errors = new Set<string>();

  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    const report: ConnectedReport = {
      type: 'connected',
      opened,
      subscribed,
      failed,
      errors: [...errors].slice(0, 5),
      elapsedMs: monoMs() - started,
    };
    reply(report);
  };
  const timer = setTimeout(() => {
    errors.add(`timeout after ${command.timeoutMs} ms`);
    failed += command.count - opened - failed;
    finish();
  }, command.timeoutMs);

  const settle = () => {
    inFlight -= 1;
    if (opened + failed >= command.count && (!command.subscribe || subscribed + failed >= command.count))
      finish();
    else launch();
  };

  const open = (i: number) => {
    inFlight += 1;
    const channel = channelName(command.channels, i);
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      localAddress: command.localAddresses[i % command.localAddresses.length],
      handshakeTimeout: command.timeoutMs,
    });
    let state: 'connecting' | 'open' | 'subscribed' | 'failed' = 'connecting';
    const tracked = delivered();
    ws.on('message', (data: Buffer) => {
      const at = findMarker(data);
      if (at >= 0) {
        recorder.deliver(readSentAt(data, at), tracked);
        return;
      }
      recorder.other += 1;
      const text = data.toString();
      if (state === 'connecting' && text.includes('pusher:connection_established')) {
        state = 'open';
        opened += 1;
        if (command.subscribe) {
          ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { auth: '', channel } }));
        } else {
          settle();
        }
      } else if (state === 'open' && text.includes('subscription_succeeded')) {
        state = 'subscribed';
        subscribed += 1;
        settle();
      } else if (text.includes('pusher:error') || text.includes('subscription_error')) {
        errors.add(text.slice(0, 200));
      }
    });
    ws.on('error', (err) => errors.add(err.message));
    ws.on('unexpected-response', (_req, res) => {
      errors.add(`HTTP ${res.statusCode}`);
      ws.terminate();
    });
    ws.on('close', (code) => {
      if (state === 'connecting' || (state === 'open' && command.subscribe)) {
        if (state === 'open') opened -= 1;
        state = 'failed';
        failed += 1;
        errors.add(`closed ${code} during set-up`);
        settle();
      } else if (state !== 'failed') {
        dropped += 1;
      }
    });
    sockets.push(ws);
  };

  const launch = () => {
    while (inFlight < command.concurrency && next < command.count) open(next++);
  };
  if (command.count === 0) finish();
  else launch();
}

let progressTimer: NodeJS.Timeout | undefined;
let lastProgress = -1;

process.on('message', (message: { type: string }) => {
  switch (message.type) {
    case 'connect':
      connectAll(message as ConnectCommand);
      break;
    case 'reset':
      recorder.reset();
      dropped = 0;
      lastProgress = -1;
      // Progress feeds the publisher's delivery window; 20 ms keeps the feedback loop tight.
      progressTimer ??= setInterval(() => {
        if (recorder.received === lastProgress) return;
        lastProgress = recorder.received;
        const progress: ProgressReport = { type: 'progress', received: recorder.received };
        reply(progress);
      }, 20);
      reply({ type: 'reset' });
      break;
    case 'report': {
      const report: SubscriberReport = { type: 'report', dropped, ...recorder.snapshot() };
      reply(report);
      break;
    }
    case 'close':
      clearInterval(progressTimer);
      for (const ws of sockets) ws.terminate();
      reply({ type: 'closed' });
      setTimeout(() => process.exit(0), 50);
      break;
  }
});
exitWithParent();
