/**
 * Which transport to try next. The plan walks the allowed transports in order (WebSocket, SSE, long-poll) while
 * attempts fail before the handshake, sticks to the transport that last worked, and says when to probe the
 * preferred one (the first) again in the background.
 */
export type TransportName = 'ws' | 'sse' | 'poll';

export const ALL_TRANSPORTS: readonly TransportName[] = ['ws', 'sse', 'poll'];

export class TransportPlan {
  private index = 0;
  private readonly order: TransportName[];

  constructor(allowed: readonly TransportName[]) {
    this.order = ALL_TRANSPORTS.filter((name) => allowed.includes(name));
    if (this.order.length === 0) throw new Error('PressRelay: no usable transport (check `transports`)');
  }

  /** The transport the next attempt uses. */
  current(): TransportName {
    return this.order[this.index]!;
  }

  preferred(): TransportName {
    return this.order[0]!;
  }

  /**
   * An attempt on `name` failed before the handshake (blocked, refused, timed out): move to the next transport.
   * Returns true when the plan wrapped around to the first one, i.e. every transport failed once in a row.
   */
  failed(name: TransportName): boolean {
    if (name !== this.current()) return false;
    this.index = (this.index + 1) % this.order.length;
    return this.index === 0;
  }

  /** A connection on `name` completed its handshake: keep using it. */
  established(name: TransportName): void {
    const index = this.order.indexOf(name);
    if (index >= 0) this.index = index;
  }

  /** Whether the transport in use is a fallback, so the preferred one should be retried in the background. */
  shouldProbe(): boolean {
    return this.index !== 0;
  }
}
