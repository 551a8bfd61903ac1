/**
 * Log-bucketed latency histogram (values in ms, about 1% relative precision), cheap enough to record
 * every delivered message in a subscriber process and small enough to send over IPC and merge.
 */
const MIN_MS = 0.001;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = 2200; // MIN_MS * 1.01^2200 ≈ 3e6 ms: beyond any bounded run

export interface HistogramJSON {
  /** Sparse [bucket index, count] pairs. */
  buckets: [number, number][];
  count: number;
  sum: number;
  min: number;
  max: number;
}

export class Histogram {
  private counts = new Float64Array(BUCKETS);
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;

  record(ms: number): void {
    const value = Math.max(ms, 0);
    this.counts[bucketOf(value)]! += 1;
    this.count += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  /** The value at quantile q (0..1): the upper edge of its bucket, clamped to the exact max. */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(upperEdge(i), this.max);
    }
    return this.max;
  }

  mean(): number | null {
    return this.count === 0 ? null : this.sum / this.count;
  }

  merge(other: HistogramJSON): void {
    for (const [index, n] of other.buckets) this.counts[index]! += n;
    this.count += other.count;
    this.sum += other.sum;
    if (other.count > 0) {
      this.min = Math.min(this.min, other.min);
      this.max = Math.max(this.max, other.max);
    }
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = 0;
  }

  toJSON(): HistogramJSON {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!]);
    return { buckets, count: this.count, sum: this.sum, min: this.count ? this.min : 0, max: this.max };
  }

  static from(json: HistogramJSON): Histogram {
    const h = new Histogram();
    h.merge(json);
    return h;
  }
}

export function bucketOf(ms: number): number {
  if (ms <= MIN_MS) return 0;
  const index = 1 + Math.floor(Math.log(ms / MIN_MS) / LOG_GROWTH);
  return index < BUCKETS ? index : BUCKETS - 1;
}

export function upperEdge(index: number): number {
  return MIN_MS * GROWTH ** index;
}
