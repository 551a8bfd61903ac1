/**
 * `POST /apps/{id}/events` for the baselines: parses the JSON body (`channels` or `channel`) and hands
 * the event to the delivery strategy, then answers 200 `{}`. Signatures are not checked: the baselines
 * measure delivery, and the publisher signs anyway so PressRelay pays for its check.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface PublishedEvent {
  name: string;
  data: string;
  channels: string[];
}

const MAX_BODY = 64 * 1024;

export function parseEventBody(body: string): PublishedEvent | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { name, data, channels, channel } = parsed as Record<string, unknown>;
  if (typeof name !== 'string' || typeof data !== 'string') return null;
  const list = Array.isArray(channels) ? channels : typeof channel === 'string' ? [channel] : null;
  if (!list?.every((c): c is string => typeof c === 'string')) return null;
  return { name, data, channels: list };
}

export function eventsHandler(onEvent: (event: PublishedEvent) => void) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'POST' || !/^\/apps\/[^/]+\/events(\?|$)/.test(req.url ?? '')) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      const event = size <= MAX_BODY ? parseEventBody(Buffer.concat(chunks).toString()) : null;
      if (!event) {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad request"}');
        return;
      }
      onEvent(event);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  };
}
