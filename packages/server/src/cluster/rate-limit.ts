/** The in-process token bucket: the local adapter's HTTP API rate limit, and the Redis adapter's while Redis is away. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>();

  /** Takes a token; returns 0 when allowed, else the seconds to wait before retrying. */
  take(key: string, perSecond: number, now: number = Date.now()): number {
    if (perSecond <= 0) return 0;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: perSecond, updatedAt: now };
      this.buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(perSecond, bucket.tokens + ((now - bucket.updatedAt) / 1000) * perSecond);
    bucket.updatedAt = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond));
  }
}
