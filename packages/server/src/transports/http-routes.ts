/** Routes the HTTP transports: PressRelay's SSE, long-poll and upstream, and pusher-js's xhr fallbacks. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../api/http.js';
import { HttpError } from '../protocol/errors.js';
import { corsHeaders, type HttpTransportContext, preflight } from './http-common.js';
import { handlePoll } from './poll.js';
import { openSse } from './sse.js';
import { handleSend } from './upstream.js';
import { handleXhr, XhrSessions } from './xhr.js';

const PRESSRELAY_ROUTE = /^\/app\/([^/]+)\/(sse|poll|send)$/;
const PUSHER_XHR_ROUTE = /^\/pusher\/app\/([^/]+)\/(\d{1,3}\/[a-z0-9]{1,16})\/(xhr_streaming|xhr|xhr_send)$/;

export class HttpTransports {
  private readonly xhrSessions = new XhrSessions();

  constructor(private readonly context: HttpTransportContext) {}

  /** Returns false when the path is not a transport route. */
  async handle(request: IncomingMessage, response: ServerResponse, path: string, search: URLSearchParams) {
    const pressrelay = PRESSRELAY_ROUTE.exec(path);
    const pusher = pressrelay ? null : PUSHER_XHR_ROUTE.exec(path);
    if (!pressrelay && !pusher) return false;
    if (request.method === 'OPTIONS') {
      preflight(request, response);
      return true;
    }
    try {
      if (pressrelay)
        await this.pressrelay(request, response, decodeURIComponent(pressrelay[1]!), pressrelay[2]!, search);
      else if (pusher)
        await this.pusher(request, response, decodeURIComponent(pusher[1]!), pusher[2]!, pusher[3]!);
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      if (response.headersSent) response.end();
      else
        sendJson(
          response,
          error.status,
          { error: error.message, code: error.code },
          {
            ...corsHeaders(request),
            ...error.headers,
          },
        );
    }
    return true;
  }

  private async pressrelay(
    request: IncomingMessage,
    response: ServerResponse,
    key: string,
    action: string,
    search: URLSearchParams,
  ): Promise<void> {
    if (action === 'send') {
      if (request.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'use POST');
      return handleSend(this.context, request, response, key);
    }
    if (request.method !== 'GET') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'use GET');
    if (action === 'sse') return openSse(this.context, request, response, key, search);
    return handlePoll(this.context, request, response, key, search);
  }

  private async pusher(
    request: IncomingMessage,
    response: ServerResponse,
    key: string,
    session: string,
    action: string,
  ) {
    if (request.method !== 'POST') throw new HttpError(405, 'METHOD_NOT_ALLOWED', 'use POST');
    return handleXhr(this.context, this.xhrSessions, request, response, key, session, action);
  }
}
