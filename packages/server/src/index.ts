/** @module @pressrelay/server — embed a PressRelay node in another Node program. */
export { ConfigError, DEVELOPMENT_APP, loadConfig } from './apps/config.js';
export type { AppConfig, ServerConfig } from './apps/schema.js';
export type { Adapter } from './cluster/adapter.js';
export * as protocol from './protocol/index.js';
export { PressRelayServer } from './server.js';
