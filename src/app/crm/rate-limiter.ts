import type { CrmClock } from './clock.ts';

/**
 * Client-side twin of the portal's leaky bucket (burst 50, drain 2 requests/s by default;
 * Enterprise portals: 250 and 5/s). Every HTTP request to Bitrix24 (a batch counts once) takes
 * one token; when none is left the caller waits on the injected clock.
 */
export class RequestRateLimiter {
  private tokens: number;
  private last: number;
  /** Urgent requests waiting (a caller is on the line): the others let them go first. */
  private urgentWaiting = 0;

  constructor(private readonly clock: CrmClock, readonly burst = 50, readonly perSecond = 2) {
    this.tokens = burst;
    this.last = clock.now();
  }

  private refill(): void {
    const t = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.perSecond);
    this.last = t;
  }

  /** Waits until a request may go out, then counts it. `urgent` ones take the next token before any other waiter. */
  async acquire(urgent = false): Promise<void> {
    if (urgent) this.urgentWaiting++;
    try {
      for (;;) {
        this.refill();
        if (this.tokens >= 1 && (urgent || this.urgentWaiting === 0)) {
          this.tokens -= 1;
          return;
        }
        await this.clock.sleep(Math.max(1, Math.ceil(((1 - this.tokens) / this.perSecond) * 1000)));
      }
    } finally {
      if (urgent) this.urgentWaiting--;
    }
  }

  /** The portal said QUERY_LIMIT_EXCEEDED: our view was too optimistic, start from empty. */
  exhausted(): void {
    this.refill();
    this.tokens = 0;
  }
}
