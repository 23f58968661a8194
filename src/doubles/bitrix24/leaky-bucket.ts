/**
 * Bitrix24's rate limit: a leaky bucket per portal. Each request adds one; the bucket drains at
 * `drainPerSecond`; a request that would overflow `burst` is refused (HTTP 503
 * QUERY_LIMIT_EXCEEDED). Time comes from the injected clock.
 */
export class LeakyBucket {
  private level = 0;
  private last: number;

  constructor(readonly burst: number, readonly drainPerSecond: number, private readonly now: () => number) {
    this.last = now();
  }

  /** True when the request fits (and is counted). */
  take(): boolean {
    const t = this.now();
    this.level = Math.max(0, this.level - ((t - this.last) / 1000) * this.drainPerSecond);
    this.last = t;
    if (this.level + 1 > this.burst) return false;
    this.level += 1;
    return true;
  }

  reset(): void {
    this.level = 0;
    this.last = this.now();
  }
}
