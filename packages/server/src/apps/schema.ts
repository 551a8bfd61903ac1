/**
 * The configuration schema: apps and their per-app settings, and server-wide settings. One zod schema is the
 * single source of defaults; docs/configuration.md documents every field.
 */
import { z } from 'zod';
import { DEFAULT_HISTORY, DEFAULT_LIMITS } from '../protocol/limits.js';

const positiveInt = z.number().int().positive();
const nonNegativeInt = z.number().int().nonnegative();

export const WEBHOOK_EVENT_TYPES = [
  'channel_occupied',
  'channel_vacated',
  'member_added',
  'member_removed',
  'client_event',
  'cache_miss',
  'subscription_count',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const webhookSchema = z
  .object({
    url: z.string().url(),
    /** Only these event types go to this URL; default all. */
    eventTypes: z.array(z.enum(WEBHOOK_EVENT_TYPES)).nonempty().optional(),
    /** Only events on channels starting with this prefix. */
    channelPrefix: z.string().optional(),
    /** Only events on channels ending with this suffix. */
    channelSuffix: z.string().optional(),
    /** Extra request headers (for example an Authorization header for the receiver). */
    headers: z.record(z.string()).default({}),
  })
  .strict();

const limitsSchema = z
  .object({
    maxPayloadBytes: positiveInt.default(DEFAULT_LIMITS.maxPayloadBytes),
    maxChannelsPerEvent: positiveInt.default(DEFAULT_LIMITS.maxChannelsPerEvent),
    maxBatchSize: positiveInt.default(DEFAULT_LIMITS.maxBatchSize),
    maxEventNameLength: positiveInt.default(DEFAULT_LIMITS.maxEventNameLength),
    maxChannelNameLength: positiveInt.max(200).default(DEFAULT_LIMITS.maxChannelNameLength),
    maxPresenceMembers: positiveInt.default(DEFAULT_LIMITS.maxPresenceMembers),
    maxPresenceUserInfoBytes: positiveInt.default(DEFAULT_LIMITS.maxPresenceUserInfoBytes),
    maxUserIdLength: positiveInt.default(DEFAULT_LIMITS.maxUserIdLength),
    clientEventsPerSecond: positiveInt.default(DEFAULT_LIMITS.clientEventsPerSecond),
    maxClientEventBytes: positiveInt.default(DEFAULT_LIMITS.maxClientEventBytes),
    maxWatchlistSize: positiveInt.default(DEFAULT_LIMITS.maxWatchlistSize),
    httpRequestsPerSecond: nonNegativeInt.default(DEFAULT_LIMITS.httpRequestsPerSecond),
    maxSubscriptionsPerConnection: positiveInt.default(DEFAULT_LIMITS.maxSubscriptionsPerConnection),
  })
  .strict();

const historySchema = z
  .object({
    maxEvents: nonNegativeInt.default(DEFAULT_HISTORY.maxEvents),
    maxAgeSeconds: positiveInt.default(DEFAULT_HISTORY.maxAgeSeconds),
  })
  .strict();

export const appSchema = z
  .object({
    id: z.string().min(1).max(64),
    key: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9_\-.]+$/, 'may only contain A-Z, a-z, 0-9, _, - and .'),
    secret: z.string().min(1),
    enabled: z.boolean().default(true),
    enableClientMessages: z.boolean().default(false),
    /** Pusher's "authorized connections": sockets must sign in or join an authorized channel in time. */
    requireUserAuthentication: z.boolean().default(false),
    userAuthenticationTimeoutSeconds: positiveInt.default(30),
    /** Browser origins allowed to connect (`*` wildcards allowed, e.g. `https://*.example.com`); default any. */
    allowedOrigins: z.array(z.string().min(1)).nonempty().default(['*']),
    /** Simultaneous connections for the app; 0 means unlimited. */
    maxConnections: nonNegativeInt.default(0),
    /** Opt-in `pusher:subscription_count` events and webhooks. */
    subscriptionCountEvents: z.boolean().default(false),
    activityTimeoutSeconds: positiveInt.max(3600).default(120),
    pongTimeoutSeconds: positiveInt.max(600).default(30),
    cacheTtlSeconds: positiveInt.max(86_400).default(1_800),
    limits: limitsSchema.default({}),
    history: historySchema.default({}),
    webhooks: z.array(webhookSchema).default([]),
  })
  .strict();

export const serverSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65_535).default(6001),
    /** Path the server is mounted under behind a proxy, e.g. `/realtime`; stripped before routing and signing. */
    pathPrefix: z
      .string()
      .regex(/^(\/[A-Za-z0-9_\-.]+)*$/, 'must be empty or like /realtime')
      .default(''),
    redisUrl: z.string().optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Memory cap for all channels' history, in bytes; least recently used streams are evicted beyond it. */
    historyMemoryBytes: positiveInt.default(64 * 1024 * 1024),
    /** A connection whose unsent output passes this many bytes is closed (4100) instead of growing memory. */
    maxBufferedBytes: positiveInt.default(4 * 1024 * 1024),
    /** How long SIGTERM waits for webhooks to flush before exiting. */
    shutdownTimeoutMs: positiveInt.default(10_000),
    /** `channel_vacated` / `member_removed` wait this long and are dropped if the client comes straight back. */
    webhookLeaveDelayMs: nonNegativeInt.default(3_000),
    /** Webhook events are batched for this long. */
    webhookBatchMs: nonNegativeInt.default(50),
    /** Retries of a failed webhook stop after this long. */
    webhookRetryForMs: positiveInt.default(300_000),
    /** Largest HTTP API request body, in bytes. */
    maxRequestBytes: positiveInt.default(1024 * 1024),
    /** Expose GET /metrics. */
    metrics: z.boolean().default(true),
  })
  .strict();

export const configFileSchema = serverSchema
  .partial()
  .extend({ apps: z.array(appSchema).default([]) })
  .strict();

export type AppConfig = z.output<typeof appSchema>;
export type WebhookTarget = z.output<typeof webhookSchema>;
export type ServerSettings = z.output<typeof serverSchema>;
export type AppInput = z.input<typeof appSchema>;

export interface ServerConfig extends ServerSettings {
  apps: AppConfig[];
  /** True when no app was configured and the development app was created. */
  usingDevelopmentApp: boolean;
}
