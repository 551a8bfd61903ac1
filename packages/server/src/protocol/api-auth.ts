/**
 * Verifies a signed HTTP API request (pusher-protocol.md §4.1): key, timestamp window, body MD5 over the raw
 * bytes, and the HMAC over `METHOD\npath\nsorted-query`. Pure: the caller passes what it read off the request.
 */
import { HttpError } from './errors.js';
import { apiStringToSign, hmacSha256Hex, md5Hex, type QueryParams, safeEqual } from './signature.js';

export const TIMESTAMP_WINDOW_SECONDS = 600;

export interface ApiRequestFacts {
  method: string;
  /** `/apps/{id}/...` exactly as signed: without any mount prefix and without the query. */
  path: string;
  params: QueryParams;
  rawBody: Buffer;
  nowSeconds: number;
}

export function verifyApiRequest(facts: ApiRequestFacts, app: { key: string; secret: string }): void {
  const { params } = facts;
  const single = (name: string): string | undefined => {
    const value = params[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const key = single('auth_key');
  const signature = single('auth_signature');
  const timestamp = single('auth_timestamp');
  if (!key || !signature || !timestamp) {
    throw new HttpError(401, 'MISSING_AUTH', 'auth_key, auth_timestamp and auth_signature are required');
  }
  if (!safeEqual(key, app.key)) throw new HttpError(401, 'INVALID_KEY', 'auth_key does not match the app');
  const version = single('auth_version');
  if (version !== undefined && version !== '1.0') {
    throw new HttpError(401, 'INVALID_AUTH_VERSION', 'auth_version must be 1.0');
  }
  const seconds = Number(timestamp);
  if (!Number.isFinite(seconds) || Math.abs(facts.nowSeconds - seconds) > TIMESTAMP_WINDOW_SECONDS) {
    throw new HttpError(
      401,
      'STALE_TIMESTAMP',
      `auth_timestamp must be within ${TIMESTAMP_WINDOW_SECONDS} seconds of the server time (server time ${facts.nowSeconds})`,
    );
  }
  if (facts.rawBody.length > 0) {
    const bodyMd5 = single('body_md5');
    if (!bodyMd5)
      throw new HttpError(401, 'MISSING_BODY_MD5', 'body_md5 is required when the body is not empty');
    if (!safeEqual(bodyMd5, md5Hex(facts.rawBody))) {
      throw new HttpError(401, 'INVALID_BODY_MD5', 'body_md5 does not match the MD5 of the request body');
    }
  }
  const stringToSign = apiStringToSign(facts.method, facts.path, params);
  if (!safeEqual(signature, hmacSha256Hex(app.secret, stringToSign))) {
    throw new HttpError(
      401,
      'INVALID_SIGNATURE',
      `Invalid signature: expected HMAC SHA256 hex digest of ${JSON.stringify(stringToSign)}`,
    );
  }
}
