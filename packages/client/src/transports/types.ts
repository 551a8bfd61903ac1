/** What every transport gives the connection: messages in, messages out, one report when it dies. */
import type { TransportName } from '../fallback.js';

/** A Pusher protocol message (`data` of `pusher:*` events is a JSON string on the wire). */
export interface Envelope {
  event: string;
  channel?: string;
  data?: unknown;
  /** PressRelay extension: the event's stream position. */
  position?: string;
  /** PressRelay extension: the publisher's event id (the WordPress plugin's position of the event). */
  id?: string;
  user_id?: string | number;
}

export interface TransportHooks {
  /** One inbound message, in order. */
  message(envelope: Envelope): void;
  /** A sign of life that carried no message (an empty poll answer). */
  activity(): void;
  /**
   * The transport died by itself (never called after `close()`). `code` is the WebSocket close code, or the code
   * of the `pusher:error` an HTTP transport received before its stream ended, or null.
   */
  closed(code: number | null, reason: string): void;
}

export interface Transport {
  readonly name: TransportName;
  send(message: Envelope): void;
  /** Closes without calling `hooks.closed`. */
  close(): void;
  /** SSE only: make sure messages named `event` reach the client (EventSource dispatches by name). */
  listen?(event: string): void;
}

/** The WebSocket API this client uses: the browser's, or `ws` in Node. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface EventSourceLike {
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void;
  onerror: ((event: unknown) => void) | null;
  close(): void;
}

/** Loosely typed so `ws` and the `eventsource` package fit as they are. */
export type WebSocketConstructor = new (url: string) => unknown;
export type EventSourceConstructor = new (url: string) => unknown;
export type FetchFunction = (input: string, init?: RequestInit) => Promise<Response>;

export interface TextResponse {
  status: number;
  text: string;
}

/**
 * fetch and read the body as text, with a deadline: a request (or body) still pending after `ms` is aborted and
 * rejects. (Node's fetch can leave a request pending forever when the peer drops the connection at once.)
 */
export async function fetchText(
  fetch: FetchFunction,
  url: string,
  init: RequestInit,
  ms: number,
  signal?: AbortSignal,
  onResponse?: (response: Response) => void,
): Promise<TextResponse> {
  const controller = new AbortController();
  const abort = () => controller.abort();
  const timer = setTimeout(abort, ms);
  signal?.addEventListener('abort', abort);
  try {
    const response = await fetch(url, { ...init, signal: controller.signal });
    onResponse?.(response);
    return { status: response.status, text: await response.text() };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', abort);
  }
}

export function parseEnvelope(value: unknown): Envelope | null {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return null;
    }
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as Envelope).event !== 'string') {
    return null;
  }
  return parsed as Envelope;
}

/** `data` of a `pusher:*` message: a JSON string (as Pusher sends it) or already an object. */
export function internalData(envelope: Envelope): Record<string, unknown> {
  let data = envelope.data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      return {};
    }
  }
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
}

/** The close code a `pusher:error` carries, if any. */
export function errorCode(envelope: Envelope): number | null {
  const code = internalData(envelope).code;
  return typeof code === 'number' ? code : null;
}
