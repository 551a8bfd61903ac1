/**
 * One measured publishing phase against connected subscribers: reset counters, publish (at a rate or
 * saturating within a delivery window), wait for the deliveries to drain, then read delivered
 * count, latency and the server's CPU time from /proc. Shared by the fan-out, many-channel, SSE and
 * long-poll scenarios.
 */
import { monoMs, sleep } from '../lib/clock.js';
import { type LoadSample, startLoadMeter } from '../lib/load-meter.js';
import { cpuSeconds } from '../lib/procfs.js';
import type { ChannelSpread } from '../load/protocol.js';
import type { Publisher, PublishResult } from '../load/publisher.js';
import type { PoolReport, SubscriberPool } from '../load/subscribers.js';

/**
 * Saturation never allows fewer events than this in flight. The message window alone (100,000 messages) left
 * only 10 events at N=10,000: about one publisher round of 8 requests plus a credit round trip, so no server
 * could ever find more than a few events queued per socket, and batching, the thing a fan-out server does under
 * load, was capped by the load generator (servers at 80-90% CPU, waiting for credit). 50 events is a burst of
 * publishes on a busy site; at N=1,000 the message window (100 events) is already above it.
 */
export const MIN_WINDOW_EVENTS = 50;

export interface PhaseSpec {
  mode: 'saturate' | 'rate';
  /** Events per second (rate mode). */
  rate?: number;
  seconds: number;
  /** Messages each event produces at the subscribers (N for fan-out, channels per event for spread). */
  messagesPerEvent: number;
  channels: ChannelSpread;
  perEvent: number;
  payloadBytes: number;
  /** Saturation: messages allowed in flight (undelivered) at once; the same for every target. */
  windowMessages?: number;
  drainMs?: number;
}

export interface PhaseResult {
  publish: PublishResult;
  report: PoolReport;
  expected: number;
  /** Delivered messages per second, first publish → last delivery. */
  throughput: number;
  serverCpuSeconds: number;
  clientCpuSeconds: number;
  wallSeconds: number;
  load: LoadSample;
}

export async function runPhase(
  pool: SubscriberPool,
  publisher: Publisher,
  serverPid: number,
  spec: PhaseSpec,
): Promise<PhaseResult> {
  await pool.reset();
  const cpuBefore = cpuSeconds(serverPid);
  const clientBefore = pool.cpuSeconds();
  const wallBefore = monoMs();
  const meter = startLoadMeter(serverPid);
  const window =
    spec.mode === 'saturate'
      ? Math.max(MIN_WINDOW_EVENTS, Math.ceil((spec.windowMessages ?? 100000) / spec.messagesPerEvent))
      : undefined;
  pool.onProgress =
    spec.mode === 'saturate'
      ? (received) => publisher.credit(Math.floor(received / spec.messagesPerEvent))
      : undefined;
  const publish = await publisher.publish({
    mode: spec.mode,
    rate: spec.rate,
    events: spec.mode === 'rate' ? Math.ceil(spec.rate! * spec.seconds) : 10_000_000,
    maxMs: spec.seconds * 1000,
    window,
    channels: spec.channels,
    perEvent: spec.perEvent,
    payloadBytes: spec.payloadBytes,
  });
  pool.onProgress = undefined;
  const expected = publish.ok * spec.messagesPerEvent;
  const drainUntil = monoMs() + (spec.drainMs ?? 10000);
  while (pool.received() < expected && monoMs() < drainUntil) await sleep(20);
  await sleep(50); // let the last progress-less deliveries land before the report
  const report = await pool.report();
  const serverCpuSeconds = cpuSeconds(serverPid) - cpuBefore;
  const clientCpuSeconds = pool.cpuSeconds() - clientBefore;
  const load = meter();
  const span = report.lastAt !== null ? (report.lastAt - publish.startedAt) / 1000 : 0;
  return {
    publish,
    report,
    expected,
    throughput: span > 0 ? report.received / span : 0,
    serverCpuSeconds,
    clientCpuSeconds,
    wallSeconds: (monoMs() - wallBefore) / 1000,
    load,
  };
}
