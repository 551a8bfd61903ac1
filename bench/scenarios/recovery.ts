/**
 * Recovery burst: 1,000 subscribers drop, miss 100 events each, and reconnect at the same moment with
 * `resume_from` (docs/protocol.md §2.2), while 100 other subscribers receive a live stream at 50 ev/s.
 * Measures how long the burst takes, whether every missed event arrives once and in order, and how long
 * live delivery is held up: the worst live publish-to-receive latency during the burst minus the median
 * before it ("live blocked"), and the largest gap between live events minus their 20 ms spacing.
 * Only PressRelay has history; the baselines have nothing to recover.
 */
import type { ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { addressesFor, freshAddresses } from '../lib/addresses.js';
import { sleep } from '../lib/clock.js';
import { request, send } from '../lib/ipc.js';
import { forkTs, stopChild } from '../lib/processes.js';
import { startConnectProbe } from '../load/connect-probe.js';
import type { ConnectCommand, ConnectedReport } from '../load/protocol.js';
import { Publisher } from '../load/publisher.js';
import type { ResumeCommand, ResumedReport } from '../load/recovery-worker.js';
import { SubscriberPool } from '../load/subscribers.js';
import type { Target } from '../targets/types.js';
import { PAYLOAD_BYTES } from './fanout.js';
import { type BenchCase, type Measurement, recorder, type ScenarioContext } from './types.js';

const RECOVERING = 1000;
const MISSED = 100;
const LIVE_SUBSCRIBERS = 100;
const LIVE_RATE = 50;
const WORKERS = 2;
/** A fresh connection is opened this often during the burst (`GET /ready` timed from connect to response). */
const PROBE_INTERVAL_MS = 20;

function recoveryCase(): BenchCase {
  const caseName = `${RECOVERING} × ${MISSED} missed`;
  return {
    scenario: 'recovery',
    name: caseName,
    appliesTo: (target) => target.name === 'pressrelay',
    async run(target: Target, ctx: ScenarioContext): Promise<Measurement[]> {
      const handle = await target.start();
      const workers: ChildProcess[] = [];
      let live: SubscriberPool | undefined;
      const publishers: Publisher[] = [];
      const m = recorder('recovery', target.name, caseName);
      try {
        live = await SubscriberPool.start({
          transport: 'ws',
          baseUrl: handle.wsUrl,
          appKey: handle.app.key,
          count: LIVE_SUBSCRIBERS,
          workers: 1,
          subscribe: true,
          channels: { prefix: 'live', offset: 0, count: 1 },
          addresses: addressesFor(LIVE_SUBSCRIBERS, 1),
        });
        const addresses = addressesFor(RECOVERING * 2, WORKERS);
        for (let i = 0; i < WORKERS; i++) {
          const worker = forkTs(new URL('../load/recovery-worker.ts', import.meta.url));
          // The recovering clients share the load CPU with the live clients; lower their priority so a
          // live stall measures the server, not the live clients waiting behind 100,000 recovered events.
          if (worker.pid !== undefined) setPriority(worker.pid, 10);
          workers.push(worker);
        }
        const connected = await Promise.all(
          workers.map((w, i) => {
            const command: ConnectCommand = {
              type: 'connect',
              transport: 'ws',
              baseUrl: handle.wsUrl,
              appKey: handle.app.key,
              count: RECOVERING / WORKERS,
              subscribe: true,
              channels: { prefix: 'recover-0', offset: 0, count: 1 },
              localAddresses: [addresses[i]![0]!],
              concurrency: 64,
              timeoutMs: 30000,
            };
            return request<ConnectedReport>(w, command, 'connected', 45000);
          }),
        );
        const subscribed = connected.reduce((n, c) => n + c.subscribed, 0);
        ctx.log(`    ${subscribed} recovering subscribers, ${live.connected.subscribed} live`);
        const [missedPublisher, livePublisher] = await Promise.all([
          Publisher.start(handle, 4, freshAddresses(1, 1)[0]![0]!),
          Publisher.start(handle, 4, freshAddresses(1, 1)[0]![0]!),
        ]);
        publishers.push(missedPublisher, livePublisher);

        await Promise.all(workers.map((w) => request(w, { type: 'drop' }, 'dropped', 10000)));
        await sleep(300); // let the server see the closes
        const missed = await missedPublisher.publish({
          mode: 'saturate',
          events: MISSED,
          maxMs: 20000,
          channels: { prefix: 'recover', offset: 0, count: 1 },
          perEvent: 1,
          payloadBytes: PAYLOAD_BYTES,
        });
        // The live publisher's keep-alive connections are open before the burst, as a running publisher's are:
        // without this its agent opens a connection mid-burst now and then, and that connection waits in the
        // accept queue behind the reconnecting clients (measured on its own below, "new connection").
        await livePublisher.publish({
          mode: 'saturate',
          events: 8,
          maxMs: 5000,
          channels: { prefix: 'live', offset: 0, count: 1 },
          perEvent: 1,
          payloadBytes: PAYLOAD_BYTES,
        });
        await live.reset();
        const liveRun = livePublisher.publish({
          mode: 'rate',
          rate: LIVE_RATE,
          events: LIVE_RATE * 6,
          maxMs: 6000,
          channels: { prefix: 'live', offset: 0, count: 1 },
          perEvent: 1,
          payloadBytes: PAYLOAD_BYTES,
        });
        await sleep(1000); // live stream steady before the burst
        const before = await live.report();
        await live.reset();
        await handle.eventLoopMaxDelayMs?.(); // starts the server's measurement window at the burst
        const probe = startConnectProbe(handle.httpUrl, freshAddresses(1, 1)[0]![0]!, PROBE_INTERVAL_MS, 100);
        const resumed = await Promise.all(
          workers.map((w, i) => {
            const command: ResumeCommand = {
              type: 'resume',
              localAddresses: [addresses[i]![1]!],
              timeoutMs: 30000,
            };
            return request<ResumedReport>(w, command, 'resumed', 45000);
          }),
        );
        const newConnections = await probe.stop();
        const liveStream = await liveRun;
        await sleep(100);
        const liveReport = await live.report();
        const serverLoopMax = (await handle.eventLoopMaxDelayMs?.()) ?? null;

        const total = (
          key: 'subscribed' | 'recovered' | 'announced' | 'events' | 'gaps' | 'duplicates' | 'complete',
        ) => resumed.reduce((n, r) => n + r[key], 0);
        const notRecovered: Record<string, number> = {};
        for (const r of resumed)
          for (const [k, v] of Object.entries(r.notRecovered)) notRecovered[k] = (notRecovered[k] ?? 0) + v;
        const supported = !('no recovery fields' in notRecovered);
        const unsupported = 'not yet supported by target (subscription_succeeded has no recovery fields)';
        const started = Math.min(...resumed.map((r) => r.startedAt));
        const completes = resumed.map((r) => r.completeAt);
        const completeAt = completes.every((t) => t !== null) ? Math.max(...(completes as number[])) : null;
        const stall = Math.max(0, liveReport.maxGapMs - 1000 / LIVE_RATE);
        const normal = before.latency.quantile(0.5) ?? 0;
        const worst = liveReport.latency.quantile(1);
        const blocked = worst === null ? null : Math.max(0, worst - normal);
        const notes = [
          ...resumed.flatMap((r) => r.errors),
          ...Object.entries(notRecovered).map(([k, v]) => `${v} not recovered: ${k}`),
          missed.failed ? `${missed.failed} of ${MISSED} missed events not accepted` : '',
        ].filter(Boolean);
        m.add(
          'burst duration',
          'ms',
          'lower',
          supported && completeAt !== null ? completeAt - started : null,
          supported ? notes.join('; ') || undefined : unsupported,
        );
        m.add(
          'recovered subscribers',
          'conn',
          'higher',
          supported ? total('recovered') : null,
          supported ? undefined : unsupported,
        );
        m.add('events recovered', 'msg', 'higher', supported ? total('events') : null);
        m.add('expected events', 'msg', 'info', subscribed * missed.ok);
        m.add('gaps + duplicates', 'msg', 'lower', supported ? total('gaps') + total('duplicates') : null);
        m.add('live blocked', 'ms', 'lower', supported ? blocked : null, supported ? undefined : unsupported);
        m.add('live gap stall', 'ms', 'lower', supported ? stall : null);
        m.add('live latency p50 before', 'ms', 'lower', normal);
        m.add('live latency p99 during', 'ms', 'lower', liveReport.latency.quantile(0.99));
        m.add('live latency max during', 'ms', 'lower', worst);
        // Where the worst live delay came from: the server's event loop, or the way in (the live publisher's
        // request and its response) or out (the TCP path to the live subscribers).
        m.add('server event-loop delay max', 'ms', 'lower', serverLoopMax);
        m.add('live publish request max', 'ms', 'lower', liveStream.http.quantile(1));
        m.add(
          'new connection during burst p50',
          'ms',
          'lower',
          newConnections.latency.quantile(0.5),
          newConnections.failed ? `${newConnections.failed} probes failed` : undefined,
        );
        m.add('new connection during burst max', 'ms', 'lower', newConnections.latency.quantile(1));
        ctx.log(
          `    ${total('recovered')}/${subscribed} recovered ${total('events')} events in ` +
            `${completeAt !== null ? (completeAt - started).toFixed(0) : '∞'} ms; live blocked ${blocked?.toFixed(1)} ms ` +
            `(max ${worst?.toFixed(1)} ms during, p50 ${normal.toFixed(1)} ms before), gap stall ${stall.toFixed(1)} ms, ` +
            `server loop delay max ${serverLoopMax?.toFixed(1)} ms, live publish request max ${liveStream.http.quantile(1)?.toFixed(1)} ms, ` +
            `new connection p50 ${newConnections.latency.quantile(0.5)?.toFixed(1)} / max ${newConnections.latency.quantile(1)?.toFixed(1)} ms${notes.length ? ` (${notes.join('; ')})` : ''}`,
        );
        return m.out;
      } finally {
        for (const p of publishers) await p.close().catch(() => undefined);
        for (const w of workers) {
          send(w, { type: 'close' });
          await stopChild(w, 2000);
        }
        await live?.close().catch(() => undefined);
        await handle.stop().catch(() => undefined);
      }
    },
  };
}

export function recoveryCases(quick: boolean): BenchCase[] {
  return quick ? [] : [recoveryCase()];
}
