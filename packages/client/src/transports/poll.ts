/**
 * Long-polling transport (docs/protocol.md §5): the first GET opens a session and answers at once; each next GET
 * acknowledges the last answer processed and waits up to 25 s for more. A poll lost in flight is repeated once
 * with the same `ack` (the server answers the same messages again); a second failure, or a 404, ends the
 * session and the client reconnects with `last_event_id`.
 */

import {
  type Envelope,
  errorCode,
  type FetchFunction,
  fetchText,
  parseEnvelope,
  type Transport,
  type TransportHooks,
} from './types.js';
import { Upstream } from './upstream.js';

/** Longer than the server's 25 s wait: a poll still pending after this is considered lost. */
const POLL_TIMEOUT_MS = 40_000;
const RETRY_DELAY_MS = 250;

interface PollAnswer {
  session?: unknown;
  seq?: unknown;
  messages?: unknown;
}

export function openPoll(
  fetch: FetchFunction,
  baseUrl: string,
  query: string,
  openTimeoutMs: number,
  hooks: TransportHooks,
): Transport {
  let open = true;
  let session: string | null = null;
  let ack = 0;
  let lastErrorCode: number | null = null;
  const controller = new AbortController();

  const die = (reason: string) => {
    if (!open) return;
    close();
    hooks.closed(lastErrorCode, reason);
  };
  const upstream = new Upstream(fetch, `${baseUrl}/send`, die);
  const close = () => {
    open = false;
    upstream.stop();
    controller.abort();
  };

  const request = async (url: string, ms: number): Promise<PollAnswer | 'gone' | 'failed'> => {
    try {
      const { status, text } = await fetchText(fetch, url, {}, ms, controller.signal);
      if (status >= 400 && status < 500) return 'gone';
      return status === 200 ? (JSON.parse(text) as PollAnswer) : 'failed';
    } catch {
      return 'failed';
    }
  };

  const handle = (answer: PollAnswer) => {
    if (typeof answer.session === 'string' && session === null) {
      session = answer.session;
      upstream.start(session);
    }
    if (typeof answer.seq === 'number') ack = answer.seq;
    const messages = Array.isArray(answer.messages) ? answer.messages : [];
    if (messages.length === 0) hooks.activity();
    for (const message of messages) {
      if (!open) return;
      const envelope = parseEnvelope(message);
      if (!envelope) continue;
      if (envelope.event === 'pusher:error') lastErrorCode = errorCode(envelope) ?? lastErrorCode;
      hooks.message(envelope);
    }
  };

  const run = async () => {
    const first = await request(`${baseUrl}/poll${query}`, openTimeoutMs);
    if (!open) return;
    if (typeof first !== 'object' || typeof first.session !== 'string') {
      return die(first === 'gone' ? 'poll session refused' : 'poll failed');
    }
    handle(first);
    let failures = 0;
    while (open) {
      const answer = await request(
        `${baseUrl}/poll?session=${encodeURIComponent(session!)}&ack=${encodeURIComponent(String(ack))}`,
        POLL_TIMEOUT_MS,
      );
      if (!open) return;
      if (answer === 'gone') return die('poll session closed');
      if (answer === 'failed') {
        if (++failures > 1) return die('poll failed');
        await new Promise((resume) => setTimeout(resume, RETRY_DELAY_MS));
        continue;
      }
      failures = 0;
      handle(answer);
    }
  };
  void run();

  return {
    name: 'poll',
    send: (message: Envelope) => upstream.send(message),
    close: () => {
      if (open) close();
    },
  };
}
