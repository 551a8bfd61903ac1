/**
 * Channel and user auth through the application's endpoint, exactly as pusher-js does it: a POST of
 * `application/x-www-form-urlencoded` `socket_id` and `channel_name` (or only `socket_id` for sign-in), plus any
 * configured params and headers (e.g. WordPress's `X-WP-Nonce`); the answer is JSON
 * `{auth, channel_data?, shared_secret?}` (or `{auth, user_data}`).
 */
import { type FetchFunction, fetchText, type TextResponse } from './transports/types.js';

const AUTH_TIMEOUT_MS = 15_000;

export interface AuthOptions {
  headers?: Record<string, string>;
  params?: Record<string, string>;
}

export class AuthError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

export async function requestAuth(
  fetch: FetchFunction,
  endpoint: string,
  options: AuthOptions,
  fields: Record<string, string>,
): Promise<Record<string, unknown>> {
  const body = new URLSearchParams({ ...options.params, ...fields });
  let response: TextResponse;
  try {
    response = await fetchText(
      fetch,
      endpoint,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...options.headers },
        body: body.toString(),
        credentials: 'same-origin',
      },
      AUTH_TIMEOUT_MS,
    );
  } catch (error) {
    throw new AuthError(`auth request to ${endpoint} failed: ${(error as Error).message}`, 0);
  }
  const { text } = response;
  if (response.status < 200 || response.status > 299) {
    throw new AuthError(
      `auth endpoint ${endpoint} answered ${response.status}: ${text.slice(0, 200)}`,
      response.status,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AuthError(`auth endpoint ${endpoint} did not answer JSON`, response.status);
  }
  if (typeof json !== 'object' || json === null || typeof (json as { auth?: unknown }).auth !== 'string') {
    throw new AuthError(`auth endpoint ${endpoint} answered no "auth"`, response.status);
  }
  return json as Record<string, unknown>;
}
