/**
 * Messages between the runner and the load-generator processes. Every worker is driven by these
 * over its IPC channel; nothing is shared in memory.
 */
import type { HistogramJSON } from '../lib/histogram.js';
import type { AppCredentials } from '../lib/signer.js';

/** Which channel connection `i` of a worker subscribes to: `${prefix}-${(offset + i) % count}`. */
export interface ChannelSpread {
  prefix: string;
  offset: number;
  count: number;
}

export function channelName(spread: ChannelSpread, i: number): string {
  return `${spread.prefix}-${(spread.offset + i) % spread.count}`;
}

export type Transport = 'ws' | 'sse' | 'poll';

export interface ConnectCommand {
  type: 'connect';
  transport: Transport;
  /** ws://host:port (WebSocket) or http://host:port (SSE, long-poll). */
  baseUrl: string;
  appKey: string;
  count: number;
  /** Subscribe after the handshake; false leaves connections idle (memory scenario). */
  subscribe: boolean;
  channels: ChannelSpread;
  /** Source addresses to bind, used round-robin (each has ~28k ephemeral ports). */
  localAddresses: string[];
  /** Handshakes in flight at once in this worker. */
  concurrency: number;
  timeoutMs: number;
  /** Path template for long-poll/SSE (`{key}` is replaced), from the scenario. */
  path?: string;
}

export interface ConnectedReport {
  type: 'connected';
  opened: number;
  subscribed: number;
  failed: number;
  /** A few distinct failure reasons, for the report. */
  errors: string[];
  /** First handshake started → last handshake (or subscription) done, ms. */
  elapsedMs: number;
  /** HTTP status of a refused SSE/long-poll request (404 means "not supported by target"). */
  status?: number;
}

export interface ProgressReport {
  type: 'progress';
  received: number;
}

export interface SubscriberReport {
  type: 'report';
  received: number;
  /** Messages without the bench marker (protocol traffic), for sanity checks. */
  other: number;
  latency: HistogramJSON;
  firstAt: number | null;
  lastAt: number | null;
  /** Connections that closed after they were established. */
  dropped: number;
  /** Largest gap between consecutive deliveries on any connection during the phase, ms. */
  maxGapMs: number;
}

export interface PublishCommand {
  type: 'publish';
  mode: 'saturate' | 'rate';
  /** Upper bound on events sent. */
  events: number;
  /** Upper bound on time, ms. */
  maxMs: number;
  /** Events per second (rate mode). */
  rate?: number;
  /** Saturate mode: events allowed ahead of the last `credit` (delivery feedback); Infinity for none. */
  window?: number;
  /** Channel of event k: `${prefix}-${(k * perEvent + j) % count}` for j < perEvent. */
  channels: ChannelSpread;
  perEvent: number;
  payloadBytes: number;
}

export interface PublisherInit {
  type: 'init';
  httpUrl: string;
  app: AppCredentials;
  /** HTTP requests in flight at once, over as many keep-alive connections. */
  concurrency: number;
  localAddress: string;
}

export interface CreditMessage {
  type: 'credit';
  /** Events fully delivered so far in this phase (as measured by the subscribers). */
  delivered: number;
}

export interface PublishReport {
  type: 'published';
  sent: number;
  ok: number;
  failed: number;
  /** Non-200 statuses and errors by kind. */
  failures: Record<string, number>;
  startedAt: number;
  endedAt: number;
  /** Request → response latency, ms. */
  http: HistogramJSON;
  /** Rate mode: events that left later than their slot because `concurrency` requests were pending. */
  late: number;
}
