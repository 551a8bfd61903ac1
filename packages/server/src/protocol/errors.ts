/**
 * The error catalogue: every refusal PressRelay sends over a connection or the HTTP API, with its Pusher code.
 *
 * Pusher's close-code ranges decide what a client does next (pusher-js `Protocol.getCloseAction`):
 * 4000–4099 do not reconnect, 4100–4199 reconnect after backing off, 4200–4299 reconnect at once,
 * 4300 and up are other errors. `code: null` marks errors Pusher reports without a code (they never close).
 * docs/errors.md lists every entry; callers name the entry, never a bare number.
 */

export interface ConnectionErrorSpec {
  /** Pusher error code, or null for errors Pusher sends without one. */
  readonly code: number | null;
  readonly message: string;
}

export const ConnectionErrors = {
  SSL_ONLY: { code: 4000, message: 'Application only accepts SSL connections, reconnect using wss://' },
  APP_NOT_FOUND: { code: 4001, message: 'Application does not exist' },
  APP_DISABLED: { code: 4003, message: 'Application is disabled' },
  OVER_CONNECTION_QUOTA: { code: 4004, message: 'Application is over connection quota' },
  PATH_NOT_FOUND: { code: 4005, message: 'Path not found' },
  INVALID_VERSION: { code: 4006, message: 'Invalid version string format' },
  UNSUPPORTED_PROTOCOL: { code: 4007, message: 'Unsupported protocol version' },
  NO_PROTOCOL: { code: 4008, message: 'No protocol version supplied' },
  UNAUTHORIZED: { code: 4009, message: 'Connection is unauthorized' },
  ORIGIN_NOT_ALLOWED: { code: 4009, message: 'Origin not allowed' },
  NOT_AUTHORIZED_IN_TIME: { code: 4009, message: 'Connection not authorized within timeout.' },
  TERMINATED: { code: 4009, message: 'You got disconnected by the app.' },
  INVALID_SIGNIN: { code: 4009, message: 'Invalid signin' },
  OVER_CAPACITY: { code: 4100, message: 'Over capacity' },
  SLOW_CONSUMER: { code: 4100, message: 'Client too slow: outbound buffer limit exceeded' },
  SERVER_SHUTTING_DOWN: { code: 4200, message: 'Server closed. Please reconnect shortly.' },
  PONG_TIMEOUT: { code: 4201, message: 'Pong reply not received in time' },
  CLUSTER_RESET: {
    code: 4200,
    message:
      'This node lost events of your channels (cluster store restarted or unreachable): reconnect and resume',
  },
  CLIENT_EVENT_RATE_LIMIT: { code: 4301, message: 'Client event rejected - rate limit exceeded' },
  CLIENT_EVENT_TOO_LARGE: { code: 4301, message: 'Client event rejected - payload too large' },
  WATCHLIST_LIMIT: { code: 4302, message: 'Watchlist limit exceeded: at most 100 user ids' },
  CLIENT_EVENTS_DISABLED: {
    code: null,
    message: 'To send client events, you must enable this feature in the Settings page of your dashboard.',
  },
  CLIENT_EVENT_WRONG_CHANNEL: {
    code: null,
    message: 'Client event rejected - only supported on private and presence channels',
  },
  CLIENT_EVENT_NOT_SUBSCRIBED: { code: null, message: 'Client event rejected - not subscribed to channel' },
  CLIENT_EVENT_BAD_NAME: { code: null, message: 'Client event rejected - name must start with client-' },
  INVALID_MESSAGE: { code: null, message: 'Invalid message format' },
  BINARY_NOT_SUPPORTED: {
    code: null,
    message: 'Binary frames are not supported: send UTF-8 JSON text frames',
  },
  UNKNOWN_EVENT: { code: null, message: 'Unsupported event' },
} as const satisfies Record<string, ConnectionErrorSpec>;

export type ConnectionErrorName = keyof typeof ConnectionErrors;

/** Close codes outside Pusher's catalogue that PressRelay uses. */
export const CloseCodes = {
  NORMAL: 1000,
} as const;

/**
 * Subscription refusals are channel-scoped: they go out as `pusher:subscription_error` on the channel, which
 * pusher-js emits on the channel and laravel-echo passes to `.error()`. `status` mirrors an HTTP status where
 * one fits, and the Pusher limit codes otherwise.
 */
export type SubscriptionErrorType = 'AuthError' | 'LimitReached' | 'InvalidChannel' | 'ServerError';

export interface SubscriptionError {
  type: SubscriptionErrorType;
  error: string;
  status: number;
}

export function subscriptionError(
  type: SubscriptionErrorType,
  error: string,
  status: number,
): SubscriptionError {
  return { type, error, status };
}

/** HTTP API errors: a status and a message for the JSON body `{"error": message, "code": name}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}
