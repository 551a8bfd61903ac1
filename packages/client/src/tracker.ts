/**
 * Per-channel position tracking (docs/protocol.md §2.4) and defensive de-duplication: within one epoch an event
 * whose serial is not above the last one processed is a duplicate and is dropped.
 */
import { formatPosition, type Position, parsePosition } from '../../server/src/protocol/positions.js';

export interface SubscriptionInfo {
  position?: unknown;
  recovered?: unknown;
  reason?: unknown;
}

export class PositionTracker {
  private last: Position | null;

  /** `initial`: a position to resume from on the first subscribe (e.g. the baseline's position in a cached page). */
  constructor(initial?: string | null) {
    this.last = parsePosition(initial);
  }

  /** The `resume_from` to send when subscribing, if any. */
  resumeFrom(): string | undefined {
    return this.last ? formatPosition(this.last) : undefined;
  }

  /** Applies `subscription_succeeded`: a recovered subscription keeps `last`, anything else restarts from `position`. */
  succeeded(info: SubscriptionInfo): void {
    if (info.recovered === true && this.last) return;
    const position = parsePosition(info.position);
    if (position) this.last = position;
  }

  /** Adopts a position whatever the last one was (a gap that cannot be filled: live from there). */
  set(positionText: unknown): void {
    const position = parsePosition(positionText);
    if (position) this.last = position;
  }

  /** Whether a position is known. */
  get known(): boolean {
    return this.last !== null;
  }

  /**
   * An event with this position arrived: returns false for a duplicate (same epoch, serial not above the last),
   * true otherwise (and records it). Events without a position (client events, servers without positions) pass.
   */
  accept(positionText: unknown): boolean {
    const position = parsePosition(positionText);
    if (!position) return true;
    if (this.last && this.last.epoch === position.epoch && position.serial <= this.last.serial) return false;
    this.last = position;
    return true;
  }
}
