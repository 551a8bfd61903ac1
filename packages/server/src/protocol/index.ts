/** The pure protocol layer, shared by the server, the client and the tests. */

export * from './api-auth.js';
export * from './channels.js';
export * from './errors.js';
export * from './events.js';
export * from './limits.js';
export * from './messages.js';
export * from './positions.js';
export * from './publish-request.js';
export * from './signature.js';
