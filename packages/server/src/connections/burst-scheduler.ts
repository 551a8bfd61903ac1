/**
 * Spreads bursts of per-connection work over event-loop turns: WebSocket handshakes and history replays. A burst
 * of reconnecting clients (a node restart, a network blip for a whole office) would otherwise be handled in one
 * turn and hold up live delivery for everyone. Each turn runs such jobs for at most `budgetMs`; the rest wait for
 * the next turn, and live events published in between go out first (recovering subscribers get them buffered,
 * in order, after their replay).
 */
import { performance } from 'node:perf_hooks';

interface Job {
  run: () => void;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class BurstScheduler {
  private readonly queue: Job[] = [];
  private head = 0;
  private turnStartedAt = 0;
  private turnOpen = false;
  private drainScheduled = false;

  constructor(private readonly budgetMs = 5) {}

  /** Runs `work` now if this turn has budget left and nobody is waiting, else in a later turn. */
  run(work: () => void): Promise<void> {
    if (this.queue.length === this.head && this.spent() < this.budgetMs) {
      this.openTurn();
      work();
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ run: work, resolve, reject });
      this.scheduleDrain();
    });
  }

  private spent(): number {
    return this.turnOpen ? performance.now() - this.turnStartedAt : 0;
  }

  private openTurn(): void {
    if (this.turnOpen) return;
    this.turnOpen = true;
    this.turnStartedAt = performance.now();
    // The budget is per event-loop turn: close this one once the turn's I/O callbacks are done.
    setImmediate(() => {
      this.turnOpen = false;
    });
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.drainScheduled = false;
    // A job run by an earlier drain may have scheduled this one and then been drained there already.
    if (this.head >= this.queue.length) return;
    const startedAt = performance.now();
    // At least one job per turn, so progress never depends on the budget.
    do {
      const job = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as Job;
      try {
        job.run();
        job.resolve();
      } catch (error) {
        job.reject(error);
      }
    } while (this.head < this.queue.length && performance.now() - startedAt < this.budgetMs);
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else {
      this.scheduleDrain();
    }
  }
}
