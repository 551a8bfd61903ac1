/**
 * Validation of HTTP API publish bodies (`POST /events`, `POST /batch_events`). Pure: parsed JSON in, a
 * normalized event or an HttpError out. Nothing malformed may reach a subscriber.
 */
import { channelNameProblem, channelType } from './channels.js';
import { HttpError } from './errors.js';
import { eventNameProblem } from './events.js';
import { type Limits, SOCKET_ID_PATTERN } from './limits.js';

export interface PublishEvent {
  name: string;
  /** The data string exactly as posted. */
  data: string;
  channels: string[];
  socketId?: string;
  /** Publisher-assigned event id (PressRelay extension), passed through to subscribers as the envelope's `id`. */
  id?: string;
  /** Attributes requested with `info` (`user_count`, `subscription_count`). */
  info: InfoAttribute[];
}

export type InfoAttribute = 'user_count' | 'subscription_count' | 'cache';

type Json = Record<string, unknown>;

const EVENT_ID_PATTERN = /^[A-Za-z0-9_\-:.,;=@]{1,128}$/;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function badRequest(code: string, message: string): HttpError {
  return new HttpError(400, code, message);
}

export function parseInfo(value: unknown, allowed: readonly string[]): InfoAttribute[] {
  if (value === undefined || value === null || value === '') return [];
  if (typeof value !== 'string') throw badRequest('INVALID_INFO', 'info must be a comma-separated string');
  const attributes = value.split(',').map((part) => part.trim());
  for (const attribute of attributes) {
    if (!allowed.includes(attribute)) {
      throw badRequest('INVALID_INFO', `info attribute "${attribute}" is not one of: ${allowed.join(', ')}`);
    }
  }
  return attributes as InfoAttribute[];
}

/** Validates one event of `/events` or of a batch. `where` prefixes messages for batch items. */
export function parsePublishEvent(body: unknown, limits: Limits, where = ''): PublishEvent {
  if (!isObject(body)) throw badRequest('INVALID_BODY', `${where}body must be a JSON object`);
  const { name, data } = body;
  if (typeof name !== 'string' || name.length === 0) {
    throw badRequest('INVALID_EVENT_NAME', `${where}"name" must be a non-empty string`);
  }
  if (name.length > limits.maxEventNameLength) {
    throw badRequest(
      'EVENT_NAME_TOO_LONG',
      `${where}"name" is longer than ${limits.maxEventNameLength} characters`,
    );
  }
  const nameProblem = eventNameProblem(name, limits.maxEventNameLength);
  if (nameProblem) throw badRequest('INVALID_EVENT_NAME', `${where}"name": ${nameProblem}`);
  if (name.startsWith('pusher:') || name.startsWith('pusher_internal:')) {
    throw badRequest('RESERVED_EVENT_NAME', `${where}event names starting with "pusher:" are reserved`);
  }
  if (typeof data !== 'string') throw badRequest('INVALID_DATA', `${where}"data" must be a string`);
  const dataBytes = Buffer.byteLength(data, 'utf8');
  if (dataBytes > limits.maxPayloadBytes) {
    throw new HttpError(
      413,
      'PAYLOAD_TOO_LARGE',
      `${where}"data" is ${dataBytes} bytes; the limit is ${limits.maxPayloadBytes} bytes`,
    );
  }
  const channels = channelList(body, limits, where);
  const event: PublishEvent = {
    name,
    data,
    channels,
    info: parseInfo(body.info, ['user_count', 'subscription_count']),
  };
  if (body.id !== undefined && body.id !== null) {
    if (typeof body.id !== 'string' || !EVENT_ID_PATTERN.test(body.id)) {
      throw badRequest(
        'INVALID_EVENT_ID',
        `${where}"id" must be 1 to 128 characters of A-Z, a-z, 0-9, _, -, :, ., comma, ;, = and @`,
      );
    }
    event.id = body.id;
  }
  if (body.socket_id !== undefined && body.socket_id !== null) {
    if (typeof body.socket_id !== 'string' || !SOCKET_ID_PATTERN.test(body.socket_id)) {
      throw badRequest('INVALID_SOCKET_ID', `${where}"socket_id" must look like "123.456"`);
    }
    event.socketId = body.socket_id;
  }
  return event;
}

function channelList(body: Json, limits: Limits, where: string): string[] {
  let channels: unknown;
  if (body.channels !== undefined) channels = body.channels;
  else if (body.channel !== undefined) channels = [body.channel];
  else
    throw badRequest('MISSING_CHANNELS', `${where}"channels" (an array) or "channel" (a string) is required`);
  if (!Array.isArray(channels) || channels.length === 0) {
    throw badRequest('INVALID_CHANNELS', `${where}"channels" must be a non-empty array of channel names`);
  }
  if (channels.length > limits.maxChannelsPerEvent) {
    throw badRequest(
      'TOO_MANY_CHANNELS',
      `${where}an event may go to at most ${limits.maxChannelsPerEvent} channels; got ${channels.length}`,
    );
  }
  const unique = new Set<string>();
  for (const channel of channels) {
    const problem = channelNameProblem(channel, limits.maxChannelNameLength);
    if (problem) throw badRequest('INVALID_CHANNEL', `${where}${JSON.stringify(channel)}: ${problem}`);
    unique.add(channel as string);
  }
  const list = [...unique];
  if (list.length > 1 && list.some((channel) => channelType(channel).kind === 'encrypted')) {
    throw badRequest(
      'ENCRYPTED_MULTI_CHANNEL',
      `${where}an event to an encrypted channel must go to that one channel only (each has its own key)`,
    );
  }
  return list;
}

export function parseBatch(body: unknown, limits: Limits): PublishEvent[] {
  if (!isObject(body) || !Array.isArray(body.batch)) {
    throw badRequest('INVALID_BODY', 'body must be a JSON object with a "batch" array');
  }
  if (body.batch.length === 0) throw badRequest('EMPTY_BATCH', '"batch" must hold at least one event');
  if (body.batch.length > limits.maxBatchSize) {
    throw badRequest(
      'BATCH_TOO_LARGE',
      `a batch may hold at most ${limits.maxBatchSize} events; got ${body.batch.length}`,
    );
  }
  return body.batch.map((item, index) => parsePublishEvent(item, limits, `batch[${index}]: `));
}
