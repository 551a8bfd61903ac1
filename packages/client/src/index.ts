/**
 * @module @pressrelay/client
 * The PressRelay browser and Node client. `Client` connects (WebSocket, then SSE, then long-poll), resumes every
 * channel after a reconnect and raises `recovery_failed` when the gap cannot be filled; `bindDom` keeps
 * `data-pressrelay-*` elements up to date.
 */
export { AuthError, type AuthOptions } from './auth.js';
export type { BackoffOptions } from './backoff.js';
export { Channel, type RecoveryFailure } from './channel.js';
export { Client, type ClientConfig, type SubscribeOptions, User } from './client.js';
export { Connection, type ConnectionState } from './connection.js';
export { bindDom, type DomBinding } from './dom.js';
export type { Callback, EventMeta } from './emitter.js';
export type { TransportName } from './fallback.js';
export type { Member, Members } from './members.js';
export { VERSION } from './urls.js';
