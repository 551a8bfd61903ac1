/**
 * The publisher process: signs and POSTs events to `/apps/{id}/events` over keep-alive connections,
 * either at a fixed rate or at saturation. At saturation it stays at most `window` events ahead of what
 * the subscribers have received (credit from the runner), so a server that answers 200 before
 * delivering cannot pile up an unbounded backlog and latency at saturation stays comparable.
 */
import { Agent, request } from 'node:http';
import { monoMs } from '../lib/clock.js';
import { Histogram } from '../lib/histogram.js';
import { exitWithParent, reply } from '../lib/ipc.js';
import { makeData } from '../lib/payload.js';
import { signedPath } from '../lib/signer.js';
import {
  type CreditMessage,
  channelName,
  type PublishCommand,
  type PublisherInit,
  type PublishReport,
} from './protocol.js';

let init: PublisherInit | undefined;
let agent: Agent | undefined;
let credit = 0;
let onCredit: (() => void) | undefined;

function post(path: string, body: string, done: (status: number | string) => void): void {
  const url = new URL(init!.httpUrl);
  const req = request(
    {
      agent,
      host: url.hostname,
      port: url.port,
      method: 'POST',
      path,
      localAddress: init!.localAddress,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    },
    (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
    },
  );
  req.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  req.end(body);
}

function run(command: PublishCommand): void {
  const app = init!.app;
  const path = `/apps/${app.id}/events`;
  const http = new Histogram();
  const failures: Record<string, number> = {};
  const startedAt = monoMs();
  const deadline = startedAt + command.maxMs;
  const window = command.window ?? Number.POSITIVE_INFINITY;
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let inFlight = 0;
  let late = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  credit = 0;

  const sendOne = () => {
    const k = sent++;
    const channels: string[] = [];
    for (let j = 0; j < command.perEvent; j++)
      channels.push(channelName(command.channels, k * command.perEvent + j));
    const at = monoMs();
    const body = JSON.stringify({ name: 'bench', channels, data: makeData(at, k, command.payloadBytes) });
    inFlight += 1;
    post(signedPath('POST', path, body, app), body, (status) => {
      inFlight -= 1;
      http.record(monoMs() - at);
      if (status === 200) ok += 1;
      else {
        failed += 1;
        failures[String(status)] = (failures[String(status)] ?? 0) + 1;
      }
      pump();
    });
  };

  const finish = () => {
    if (stopped) return;
    stopped = true;
    clearTimeout(timer);
    onCredit = undefined;
    const report: PublishReport = {
      type: 'published',
      sent,
      ok,
      failed,
      failures,
      startedAt,
      endedAt: monoMs(),
      http: http.toJSON(),
      late,
    };
    reply(report);
  };

  // Called after every response, credit and timer tick; sends whatever the mode allows right now.
  const pump = () => {
    if (stopped) return;
    const now = monoMs();
    const over = sent >= command.events || now >= deadline;
    if (over) {
      if (inFlight === 0) finish();
      return;
    }
    if (command.mode === 'saturate') {
      while (inFlight < init!.concurrency && sent < command.events && sent - credit < window) sendOne();
      return;
    }
    const due = Math.min(command.events, Math.floor(((now - startedAt) * command.rate!) / 1000) + 1);
    if (due - sent > 1 && inFlight >= init!.concurrency) late += 1;
    while (sent < due && inFlight < init!.concurrency) sendOne();
  };

  onCredit = pump;
  if (command.mode === 'rate') {
    const interval = Math.max(1, 1000 / command.rate!);
    const tick = () => {
      pump();
      if (!stopped) timer = setTimeout(tick, Math.min(interval, Math.max(1, deadline - monoMs())));
    };
    tick();
  } else {
    // The deadline must end a saturated run even when no response or credit arrives.
    timer = setTimeout(pump, command.maxMs + 1);
    pump();
  }
}

process.on('message', (message: { type: string }) => {
  switch (message.type) {
    case 'init':
      init = message as PublisherInit;
      agent = new Agent({ keepAlive: true, maxSockets: init.concurrency });
      reply({ type: 'ready' });
      break;
    case 'publish':
      run(message as PublishCommand);
      break;
    case 'credit':
      credit = (message as CreditMessage).delivered;
      onCredit?.();
      break;
  }
});
exitWithParent();
