/**
 * Pusher HTTP API request signing (pusher-protocol.md §4.1), written out so the publisher does not pay
 * for an SDK per request: sign `METHOD\npath\nsorted-query` with HMAC-SHA256 and the app secret.
 */
import { createHash, createHmac } from 'node:crypto';

export interface AppCredentials {
  id: string;
  key: string;
  secret: string;
}

/** The string to sign: parameters sorted by key, values not URL-escaped, auth_signature excluded. */
export function stringToSign(method: string, path: string, params: Record<string, string>): string {
  const query = Object.keys(params)
    .filter((k) => k !== 'auth_signature')
    .map((k) => [k.toLowerCase(), params[k]!] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return `${method.toUpperCase()}\n${path}\n${query}`;
}

export function bodyMd5(body: string): string {
  return createHash('md5').update(body).digest('hex');
}

/** Path with the signed query string for a request with the given JSON body (empty body: no body_md5). */
export function signedPath(
  method: string,
  path: string,
  body: string,
  app: AppCredentials,
  timestampSec: number = Math.floor(Date.now() / 1000),
): string {
  const params: Record<string, string> = {
    auth_key: app.key,
    auth_timestamp: String(timestampSec),
    auth_version: '1.0',
  };
  if (body.length > 0) params.body_md5 = bodyMd5(body);
  const signature = createHmac('sha256', app.secret)
    .update(stringToSign(method, path, params))
    .digest('hex');
  const query = Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
  return `${path}?${query}&auth_signature=${signature}`;
}
