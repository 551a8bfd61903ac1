/**
 * The `<script>` build: defines the global `PressRelay` ({ Client, bindDom, … }). When `window.PressRelayConfig`
 * is set, it also creates `window.pressRelay = new PressRelay.Client(PressRelayConfig)` and binds the DOM, now and
 * for elements added later.
 */
import { Client, type ClientConfig } from './client.js';
import { bindDom } from './dom.js';

export { AuthError } from './auth.js';
export { Channel } from './channel.js';
export { Client } from './client.js';
export { bindDom } from './dom.js';
export { VERSION } from './urls.js';

const page = globalThis as { PressRelayConfig?: ClientConfig; pressRelay?: Client; document?: unknown };
if (page.PressRelayConfig && page.document) {
  try {
    const client = new Client(page.PressRelayConfig);
    page.pressRelay = client;
    bindDom(client);
  } catch (error) {
    console.error(`PressRelay: ${(error as Error).message}`);
  }
}
