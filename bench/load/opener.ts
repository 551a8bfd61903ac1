/**
 * Opens `count` connections of any transport with at most `concurrency` set-ups in flight, and reports
 * `connected` to the runner once every connection is open (and subscribed, if asked) or has failed,
 * or the time limit is reached.
 */
import { monoMs } from '../lib/clock.js';
import { reply } from '../lib/ipc.js';
import type { ConnectCommand, ConnectedReport } from './protocol.js';

/** What a transport tells the opener about connection `i`. Each connection ends set-up exactly once. */
export interface SetupEvents {
  /** Handshake done (WebSocket: connection_established). */
  opened(): void;
  /** Subscription confirmed; ends set-up when subscribing. */
  subscribed(): void;
  /** Set-up failed; `status` is an HTTP status when the server refused the request. */
  failed(reason: string, status?: number): void;
  /** A non-fatal error message worth showing. */
  error(message: string): void;
}

export function openAll(command: ConnectCommand, openOne: (i: number, events: SetupEvents) => void): void {
  const started = monoMs();
  let next = 0;
  let opened = 0;
  let subscribed = 0;
  let failed = 0;
  let inFlight = 0;
  let finished = false;
  let status: number | undefined;
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
      ...(status !== undefined ? { status } : {}),
    };
    reply(report);
  };
  const timer = setTimeout(() => {
    errors.add(`timeout after ${command.timeoutMs} ms`);
    failed = command.count - (command.subscribe ? subscribed : opened);
    finish();
  }, command.timeoutMs);

  const settle = () => {
    inFlight -= 1;
    const done = command.subscribe ? subscribed + failed : opened + failed;
    if (done >= command.count) finish();
    else launch();
  };
  const launch = () => {
    while (!finished && inFlight < command.concurrency && next < command.count) {
      const i = next++;
      inFlight += 1;
      let state: 'connecting' | 'open' | 'done' = 'connecting';
      openOne(i, {
        opened() {
          if (state !== 'connecting') return;
          state = 'open';
          opened += 1;
          if (!command.subscribe) {
            state = 'done';
            settle();
          }
        },
        subscribed() {
          if (state === 'done') return;
          state = 'done';
          subscribed += 1;
          settle();
        },
        failed(reason, httpStatus) {
          if (state === 'done') return;
          if (state === 'open') opened -= 1;
          state = 'done';
          failed += 1;
          if (httpStatus !== undefined) status = httpStatus;
          errors.add(reason);
          settle();
        },
        error(message) {
          errors.add(message);
        },
      });
    }
  };
  if (command.count === 0) finish();
  else launch();
}
