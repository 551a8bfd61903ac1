/**
 * `POST /app/{key}/send`: the upstream of SSE and long-poll connections. The body names the connection by its
 * session token (never by socket id) and carries Pusher protocol messages, handled exactly as WebSocket frames.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJson, readBody, sendJson } from '../api/http.js';
import { HttpError } from '../protocol/errors.js';
import { corsHeaders, type HttpTransportContext } from './http-common.js';

const MAX_UPSTREAM_BYTES = 256 * 1024;
const MAX_MESSAGES_PER_REQUEST = 100;

export async function handleSend(
  context: HttpTransportContext,
  request: IncomingMessage,
  response: ServerResponse,
  key: string,
): Promise<void> {
  const headers = corsHeaders(request);
  const body = parseJson(await readBody(request, MAX_UPSTREAM_BYTES));
  const { session, messages } = (body ?? {}) as { session?: unknown; messages?: unknown };
  if (typeof session !== 'string' || !Array.isArray(messages)) {
    throw new HttpError(
      400,
      'INVALID_BODY',
      'body must be {"session": "<token>", "messages": [<pusher messages>]}',
    );
  }
  if (messages.length > MAX_MESSAGES_PER_REQUEST) {
    throw new HttpError(400, 'TOO_MANY_MESSAGES', `at most ${MAX_MESSAGES_PER_REQUEST} messages per request`);
  }
  const connection = context.sessions.get(session);
  if (!connection || connection.closed || connection.app.key !== key) {
    throw new HttpError(404, 'UNKNOWN_SESSION', 'unknown or closed session: reconnect');
  }
  for (const message of messages) context.handler.receive(connection, JSON.stringify(message));
  sendJson(response, 200, {}, headers);
}
