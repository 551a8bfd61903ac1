/** Defaults for every per-app limit; each is overridable per app (docs/configuration.md). */
export const DEFAULT_LIMITS = {
  /** Maximum `data` size of one HTTP-published event, in UTF-8 bytes (Pusher: 10 KB). */
  maxPayloadBytes: 10_240,
  /** Maximum channels in one HTTP publish (Pusher: 100). */
  maxChannelsPerEvent: 100,
  /** Maximum events in one batch (Pusher: 10). */
  maxBatchSize: 10,
  /** Maximum event name length (Pusher SDKs: 200). */
  maxEventNameLength: 200,
  /** Maximum channel name length (Pusher docs: 164, prefix included). */
  maxChannelNameLength: 164,
  /** Maximum presence members per channel (Pusher: 100). */
  maxPresenceMembers: 100,
  /** Maximum size of a presence member's `user_info`, as JSON bytes (Pusher: 1 KB). */
  maxPresenceUserInfoBytes: 1_024,
  /** Maximum presence or signed-in user id length (Pusher: 128). */
  maxUserIdLength: 128,
  /** Client events each connection may send per second (Pusher: 10). */
  clientEventsPerSecond: 10,
  /** Maximum `data` size of a client event, as JSON bytes. */
  maxClientEventBytes: 10_240,
  /** Maximum ids in a signed-in user's watchlist (Pusher: 100). */
  maxWatchlistSize: 100,
  /** HTTP API requests per second for the app; 0 means unlimited. */
  httpRequestsPerSecond: 0,
  /** Maximum subscriptions one connection may hold. */
  maxSubscriptionsPerConnection: 1_000,
} as const;

export type Limits = { -readonly [K in keyof typeof DEFAULT_LIMITS]: number };

export const DEFAULT_HISTORY = {
  /** Events kept per channel for recovery. */
  maxEvents: 100,
  /** Seconds an event stays recoverable. */
  maxAgeSeconds: 300,
} as const;

/** Largest WebSocket text frame accepted from a client; larger frames close the socket with 1009. */
export const MAX_INBOUND_FRAME_BYTES = 64 * 1024;

/** Pusher's channel name charset; `#` is reserved for `#server-to-user-`. */
export const CHANNEL_NAME_PATTERN = /^[A-Za-z0-9_\-=@,.;]+$/;

/** Socket ids: two integers joined by a dot, as the SDKs require. */
export const SOCKET_ID_PATTERN = /^\d+\.\d+$/;
