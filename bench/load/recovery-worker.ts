/**
 * Subscribers that track their stream position (docs/protocol.md §2.4), drop their connections, and
 * reconnect all at once with `resume_from`, checking that every missed event arrives exactly once and
 * in serial order. Used by the recovery scenario.
 */
import WebSocket from 'ws';
import { monoMs } from '../lib/clock.js';
import { exitWithParent, reply } from '../lib/ipc.js';
import { openAll } from './opener.js';
import type { ConnectCommand } from './protocol.js';

export interface ResumeCommand {
  type: 'resume';
  localAddresses: string[];
  timeoutMs: number;
}

export interface ResumedReport {
  type: 'resumed';
  subscribed: number;
  recovered: number;
  /** `reason` of `recovered: false` answers, or "no recovery fields" when the target ignores resume_from. */
  notRecovered: Record<string, number>;
  /** Sum of `missed` announced by the server. */
  announced: number;
  events: number;
  gaps: number;
  duplicates: number;
  /** Connections that got every announced event. */
  complete: number;
  startedAt: number;
  completeAt: number | null;
  errors: string[];
}

interface Subscriber {
  ws: WebSocket | null;
  position: string | null;
  missed: number;
  received: number;
  done: boolean;
}

const POSITION = /"position":"([^"]*)"/;
let command: ConnectCommand | undefined;
const subscribers: Subscriber[] = [];

function serialOf(position: string): number {
  return Number(position.slice(position.lastIndexOf(':') + 1));
}

function url(): string {
  return `${command!.baseUrl}/app/${command!.appKey}?protocol=7&client=bench&version=1.0`;
}

function connect(c: ConnectCommand): void {
  command = c;
  const channel = c.channels.prefix;
  openAll(c, (i, setup) => {
    const sub: Subscriber = { ws: null, position: null, missed: 0, received: 0, done: false };
    subscribers[i] = sub;
    const ws = new WebSocket(url(), {
      perMessageDeflate: false,
      localAddress: c.localAddresses[i % c.localAddresses.length],
    });
    sub.ws = ws;
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text.includes('pusher:connection_established')) {
        setup.opened();
        ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { auth: '', channel } }));
        return;
      }
      const position = POSITION.exec(text.replaceAll('\\"', '"'))?.[1];
      if (position) sub.position = position;
      if (text.includes('subscription_succeeded')) setup.subscribed();
    });
    ws.on('error', (err) => setup.error(err.message));
    ws.on('close', (code) => setup.failed(`closed ${code}`));
  });
}

function resume(r: ResumeCommand): void {
  const channel = command!.channels.prefix;
  const report: ResumedReport = {
    type: 'resumed',
    subscribed: 0,
    recovered: 0,
    notRecovered: {},
    announced: 0,
    events: 0,
    gaps: 0,
    duplicates: 0,
    complete: 0,
    startedAt: monoMs(),
    completeAt: null,
    errors: [],
  };
  let answered = 0;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    reply(report);
  };
  const timer = setTimeout(() => {
    report.errors.push(`timeout after ${r.timeoutMs} ms`);
    finish();
  }, r.timeoutMs);
  const settle = () => {
    if (
      answered === subscribers.length &&
      report.complete + (subscribers.length - report.recovered) >= subscribers.length
    ) {
      report.completeAt = monoMs();
      finish();
    }
  };
  // All at once: the burst is the point of the scenario.
  subscribers.forEach((sub, i) => {
    const ws = new WebSocket(url(), {
      perMessageDeflate: false,
      localAddress: r.localAddresses[i % r.localAddresses.length],
    });
    sub.ws = ws;
    let expected = sub.position ? serialOf(sub.position) + 1 : 1;
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text.includes('pusher:connection_established')) {
        ws.send(
          JSON.stringify({
            event: 'pusher:subscribe',
            data: { auth: '', channel, resume_from: sub.position },
          }),
        );
        return;
      }
      if (text.includes('pusher_internal:subscription_succeeded')) {
        const message = JSON.parse(text) as { data?: string };
        report.subscribed += 1;
        answered += 1;
        const info = JSON.parse(message.data ?? '{}') as {
          recovered?: boolean;
          missed?: number;
          reason?: string;
        };
        if (info.recovered === true) {
          report.recovered += 1;
          sub.missed = info.missed ?? 0;
          report.announced += sub.missed;
          if (sub.missed === 0) {
            sub.done = true;
            report.complete += 1;
          }
        } else {
          const reason = info.recovered === false ? (info.reason ?? 'unknown') : 'no recovery fields';
          report.notRecovered[reason] = (report.notRecovered[reason] ?? 0) + 1;
        }
        settle();
        return;
      }
      // Events: the position is a top-level field, found without parsing the whole message.
      const position = text.startsWith('{"event":"pusher') ? undefined : POSITION.exec(text)?.[1];
      if (!position) return;
      const serial = serialOf(position);
      report.events += 1;
      if (serial > expected) report.gaps += 1;
      if (serial < expected) report.duplicates += 1;
      else expected = serial + 1;
      sub.received += 1;
      if (!sub.done && sub.received >= sub.missed && sub.missed > 0) {
        sub.done = true;
        report.complete += 1;
        settle();
      }
    });
    ws.on('error', (err) => {
      if (report.errors.length < 5) report.errors.push(err.message);
    });
  });
}

process.on('message', (message: { type: string }) => {
  switch (message.type) {
    case 'connect':
      connect(message as ConnectCommand);
      break;
    case 'drop':
      for (const sub of subscribers) sub.ws?.terminate();
      reply({ type: 'dropped' });
      break;
    case 'resume':
      resume(message as ResumeCommand);
      break;
    case 'close':
      for (const sub of subscribers) sub.ws?.terminate();
      reply({ type: 'closed' });
      setTimeout(() => process.exit(0), 50);
      break;
  }
});
exitWithParent();
