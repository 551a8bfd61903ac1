/**
 * The Pusher HTTP API under `/apps/{app_id}/`, plus PressRelay's history extension. Every request is signed
 * (api-auth.ts); answers are JSON objects with status 200, errors are 4xx JSON bodies that say what is wrong.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { historyLimits } from '../apps/limits.js';
import type { AppRegistry } from '../apps/registry.js';
import type { AppConfig } from '../apps/schema.js';
import {
  type Adapter,
  type PublishEvent as AdapterPublishEvent,
  AdapterUnavailableError,
} from '../cluster/adapter.js';
import type { Metrics } from '../metrics/metrics.js';
import { verifyApiRequest } from '../protocol/api-auth.js';
import { channelNameProblem, channelType, isPresence } from '../protocol/channels.js';
import { HttpError } from '../protocol/errors.js';
import { formatPosition, parsePosition } from '../protocol/positions.js';
import { type PublishEvent, parseBatch, parseInfo, parsePublishEvent } from '../protocol/publish-request.js';
import { parseJson, queryParams, readBody, sendHttpError, sendJson } from './http.js';

export interface AppsApiOptions {
  apps: AppRegistry;
  adapter: Adapter;
  metrics: Metrics;
  logger: Logger;
  maxRequestBytes: number;
}

interface ApiRequest {
  app: AppConfig;
  method: string;
  /** Path below `/apps/{id}`, e.g. `/events`. */
  route: string;
  params: Record<string, string | string[]>;
  body: Buffer;
}

type Json = Record<string, unknown>;

export class AppsApi {
  constructor(private readonly options: AppsApiOptions) {}

  /** `path` is `/apps/...` with any mount prefix stripped: exactly what the SDKs sign. */
  async handle(request: IncomingMessage, response: ServerResponse, path: string, search: URLSearchParams) {
    let routeName = 'unknown';
    try {
      const match = /^\/apps\/([^/]+)(\/.*)?$/.exec(path);
      const app = match ? this.options.apps.findById(decodeURIComponent(match[1]!)) : undefined;
      if (!match || !app) throw new HttpError(404, 'APP_NOT_FOUND', 'Unknown app id');
      const route = match[2] ?? '/';
      routeName = routeLabel(route);
      const body = await readBody(request, this.options.maxRequestBytes);
      const params = queryParams(search);
      const method = request.method ?? 'GET';
      verifyApiRequest(
        { method, path, params, rawBody: body, nowSeconds: Math.floor(Date.now() / 1000) },
        app,
      );
      if (!app.enabled) throw new HttpError(403, 'APP_DISABLED', 'Application is disabled');
      // Cluster-wide: the adapter holds the bucket, so N nodes do not allow N times the limit.
      const wait = await this.options.adapter.takeRateToken(app.id, app.limits.httpRequestsPerSecond);
      if (wait > 0) {
        throw new HttpError(
          429,
          'RATE_LIMITED',
          `over ${app.limits.httpRequestsPerSecond} requests per second`,
          {
            'Retry-After': String(wait),
          },
        );
      }
      const result = await this.route({ app, method, route, params, body });
      this.options.metrics.httpRequests.inc({ route: routeName, status: '200' });
      sendJson(response, 200, result);
    } catch (error) {
      if (!(error instanceof HttpError || error instanceof AdapterUnavailableError))
        this.options.logger.error({ err: error, path }, 'HTTP API request failed');
      const httpError =
        error instanceof HttpError
          ? error
          : error instanceof AdapterUnavailableError
            ? new HttpError(503, 'CLUSTER_UNAVAILABLE', `${error.message}; retry shortly`, {
                'Retry-After': '1',
              })
            : new HttpError(500, 'INTERNAL', 'internal error; see the server log');
      this.options.metrics.httpRequests.inc({ route: routeName, status: String(httpError.status) });
      sendHttpError(response, httpError);
    }
  }

  private async route(request: ApiRequest): Promise<Json> {
    const { method, route } = request;
    const channelRoute = /^\/channels\/([^/]+)(\/users|\/history)?$/.exec(route);
    const userRoute = /^\/users\/([^/]+)\/terminate_connections$/.exec(route);
    if (route === '/events') return expect(method, 'POST', () => this.publish(request));
    if (route === '/batch_events') return expect(method, 'POST', () => this.batch(request));
    if (route === '/channels') return expect(method, 'GET', () => this.channels(request));
    if (channelRoute) {
      const channel = decodeURIComponent(channelRoute[1]!);
      const problem = channelNameProblem(channel, 200);
      if (problem) throw new HttpError(400, 'INVALID_CHANNEL', problem);
      if (channelRoute[2] === '/users') return expect(method, 'GET', () => this.users(request, channel));
      if (channelRoute[2] === '/history') return expect(method, 'GET', () => this.history(request, channel));
      return expect(method, 'GET', () => this.channel(request, channel));
    }
    if (userRoute) {
      const userId = decodeURIComponent(userRoute[1]!);
      return expect(method, 'POST', async () => {
        await this.options.adapter.terminateUser(request.app.id, userId);
        return {};
      });
    }
    throw new HttpError(404, 'NOT_FOUND', `no API route ${method} /apps/{app_id}${route}`);
  }

  private async publish(request: ApiRequest): Promise<Json> {
    const event = parsePublishEvent(parseJson(request.body), request.app.limits);
    await this.deliver(request.app, event);
    if (event.info.length === 0) return {};
    return { channels: await this.infoFor(request.app, event) };
  }

  private async batch(request: ApiRequest): Promise<Json> {
    const events = parseBatch(parseJson(request.body), request.app.limits);
    for (const event of events) await this.deliver(request.app, event);
    if (events.every((event) => event.info.length === 0)) return {};
    const batch: Json[] = [];
    for (const event of events) {
      const info = await this.infoFor(request.app, event);
      batch.push(event.info.length === 0 ? {} : (info[event.channels[0]!] ?? {}));
    }
    return { batch };
  }

  private async deliver(app: AppConfig, event: PublishEvent): Promise<void> {
    const { adapter, metrics } = this.options;
    const history = historyLimits(app);
    const message: AdapterPublishEvent = { name: event.name, data: event.data };
    if (event.socketId !== undefined) message.excludeSocketId = event.socketId;
    if (event.id !== undefined) message.id = event.id;
    const published = event.channels.map((channel) =>
      adapter.publish(app.id, channel, message, {
        history,
        cacheTtlMs: channelType(channel).cache ? app.cacheTtlSeconds * 1000 : null,
      }),
    );
    await Promise.all(published);
    metrics.messagesIn.inc({ source: 'http' }, event.channels.length);
  }

  private async infoFor(app: AppConfig, event: PublishEvent): Promise<Record<string, Json>> {
    const channels: Record<string, Json> = {};
    for (const channel of event.channels) {
      const counts = await this.options.adapter.channelCounts(app.id, channel);
      const attributes: Json = {};
      if (event.info.includes('user_count') && isPresence(channel))
        attributes.user_count = counts.userCount ?? 0;
      if (event.info.includes('subscription_count') && !isPresence(channel)) {
        attributes.subscription_count = counts.subscriptionCount;
      }
      channels[channel] = attributes;
    }
    return channels;
  }

  private async channels(request: ApiRequest): Promise<Json> {
    const prefix = single(request.params.filter_by_prefix) ?? '';
    const info = parseInfo(single(request.params.info), ['user_count', 'subscription_count']);
    if (info.includes('user_count') && !prefix.startsWith('presence-')) {
      throw new HttpError(400, 'INVALID_INFO', 'info=user_count requires filter_by_prefix=presence-');
    }
    const occupied = await this.options.adapter.occupiedChannels(request.app.id, prefix);
    const channels: Record<string, Json> = {};
    for (const [name, counts] of occupied) {
      const attributes: Json = {};
      if (info.includes('user_count')) attributes.user_count = counts.userCount ?? 0;
      if (info.includes('subscription_count')) attributes.subscription_count = counts.subscriptionCount;
      channels[name] = attributes;
    }
    return { channels };
  }

  private async channel(request: ApiRequest, channel: string): Promise<Json> {
    const info = parseInfo(single(request.params.info), ['user_count', 'subscription_count', 'cache']);
    const presence = isPresence(channel);
    if (info.includes('user_count') && !presence) {
      throw new HttpError(400, 'INVALID_INFO', 'user_count is only available for presence channels');
    }
    if (info.includes('subscription_count') && presence) {
      throw new HttpError(
        400,
        'INVALID_INFO',
        'subscription_count is not available for presence channels; use user_count',
      );
    }
    if (info.includes('cache') && !channelType(channel).cache) {
      throw new HttpError(400, 'INVALID_INFO', 'cache is only available for cache channels');
    }
    const { adapter } = this.options;
    const counts = await adapter.channelCounts(request.app.id, channel);
    const result: Json = { occupied: counts.subscriptionCount > 0 };
    if (info.includes('user_count')) result.user_count = counts.userCount ?? 0;
    if (info.includes('subscription_count')) result.subscription_count = counts.subscriptionCount;
    if (info.includes('cache')) {
      const cached = await adapter.cached(request.app.id, channel);
      if (cached) {
        const envelope = JSON.parse(cached.json) as Json;
        result.cache = {
          event: envelope.event,
          data: envelope.data,
          ttl: Math.max(0, Math.ceil((cached.expiresAt - Date.now()) / 1000)),
        };
      }
    }
    return result;
  }

  private async users(request: ApiRequest, channel: string): Promise<Json> {
    if (!isPresence(channel))
      throw new HttpError(400, 'NOT_PRESENCE', 'users are only available for presence channels');
    const members = await this.options.adapter.presenceMembers(request.app.id, channel);
    return { users: members.map((member) => ({ id: String(member.userId) })) };
  }

  /** PressRelay extension: events of a channel after `since` (a position), at most `limit` (default 100). */
  private async history(request: ApiRequest, channel: string): Promise<Json> {
    const sinceText = single(request.params.since);
    const since = sinceText === undefined ? null : parsePosition(sinceText);
    if (sinceText !== undefined && since === null) {
      throw new HttpError(400, 'INVALID_POSITION', '"since" must be a position like "epoch:serial"');
    }
    const limitText = single(request.params.limit);
    const limit = limitText === undefined ? 100 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw new HttpError(400, 'INVALID_LIMIT', '"limit" must be an integer from 1 to 1000');
    }
    const { app } = request;
    const read = await this.options.adapter.history(app.id, channel, historyLimits(app), since, limit + 1);
    if (!read.ok)
      return {
        channel,
        position: formatPosition(read.position),
        recovered: false,
        reason: read.reason,
        events: [],
      };
    const more = read.entries.length > limit;
    // With `since`, the oldest `limit` events after it (page on from the last one); without, the newest `limit`.
    const entries = !more ? read.entries : since ? read.entries.slice(0, limit) : read.entries.slice(-limit);
    return {
      channel,
      position: formatPosition(read.position),
      recovered: true,
      more,
      events: entries.map((entry) => JSON.parse(entry.json) as Json),
    };
  }
}

async function expect(method: string, wanted: string, run: () => Promise<Json>): Promise<Json> {
  if (method !== wanted) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `use ${wanted}`);
  return run();
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function routeLabel(route: string): string {
  if (route.startsWith('/channels/')) {
    if (route.endsWith('/users')) return 'channel_users';
    if (route.endsWith('/history')) return 'channel_history';
    return 'channel';
  }
  if (route.startsWith('/users/')) return 'terminate_connections';
  return route.replace(/^\//, '') || 'root';
}
