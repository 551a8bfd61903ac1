/**
 * What a close code means for reconnecting (Pusher protocol, docs: pusher-protocol.md §1.4):
 * 4000–4099 and 4300+ refused (do not reconnect unchanged), 4100–4199 back off, 4200–4299 reconnect at once.
 * Anything else (1000, 1006, a dropped HTTP stream) is a network failure: back off.
 */
export type CloseAction = 'refused' | 'backoff' | 'now';

export function closeAction(code: number | null | undefined): CloseAction {
  if (typeof code !== 'number' || code < 4000 || code > 4999) return 'backoff';
  if (code < 4100 || code >= 4300) return 'refused';
  return code < 4200 ? 'backoff' : 'now';
}

/** A close code sent by a Pusher server (as opposed to a network or browser code). */
export function isPusherCode(code: number | null | undefined): code is number {
  return typeof code === 'number' && code >= 4000 && code <= 4999;
}
