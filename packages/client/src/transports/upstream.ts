/**
 * The upstream of the HTTP transports (docs/protocol.md §4.4): messages are batched per tick and POSTed in
 * order, one request at a time, as `text/plain` (a simple request: no CORS preflight) with the session token.
 * A refused or failed POST means the session is gone: the transport reports itself closed and the client
 * reconnects, resubscribing with `resume_from`, so nothing is lost.
 */
import { type Envelope, type FetchFunction, fetchText } from './types.js';

/** A POST still unanswered after this long is taken as lost. */
const SEND_TIMEOUT_MS = 15_000;
/** The server takes at most 100 messages (and 256 KiB) per POST. */
const MAX_MESSAGES = 50;
const MAX_BYTES = 128 * 1024;

export class Upstream {
  private session: string | null = null;
  private queue: Envelope[] = [];
  private sending = false;
  private stopped = false;

  constructor(
    private readonly fetch: FetchFunction,
    private readonly url: string,
    private readonly onDead: (reason: string) => void,
  ) {}

  /** The session token from the handshake; queued messages go out once it is known. */
  start(session: string): void {
    this.session = session;
    this.flushSoon();
  }

  send(message: Envelope): void {
    if (this.stopped) return;
    this.queue.push(message);
    this.flushSoon();
  }

  stop(): void {
    this.stopped = true;
    this.queue = [];
  }

  private flushSoon(): void {
    if (this.sending || !this.session || this.queue.length === 0) return;
    this.sending = true;
    queueMicrotask(() => void this.flush());
  }

  private async flush(): Promise<void> {
    while (!this.stopped && this.queue.length > 0) {
      const messages = this.take();
      let failure: string | null = null;
      try {
        const response = await fetchText(
          this.fetch,
          this.url,
          {
            method: 'POST',
            headers: { 'Content-Type': 'text/plain' },
            body: `{"session":${JSON.stringify(this.session)},"messages":[${messages.join(',')}]}`,
          },
          SEND_TIMEOUT_MS,
        );
        if (response.status !== 200) failure = `upstream POST answered ${response.status}`;
      } catch (error) {
        failure = `upstream POST failed: ${(error as Error).message}`;
      }
      if (failure !== null) {
        if (!this.stopped) this.onDead(failure);
        this.stop();
      }
    }
    this.sending = false;
  }

  /** The next batch, in order, as JSON texts: up to MAX_MESSAGES and about MAX_BYTES (at least one message). */
  private take(): string[] {
    const batch: string[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && batch.length < MAX_MESSAGES) {
      const json = JSON.stringify(this.queue[0]);
      if (batch.length > 0 && bytes + json.length > MAX_BYTES) break;
      batch.push(json);
      bytes += json.length;
      this.queue.shift();
    }
    return batch;
  }
}
