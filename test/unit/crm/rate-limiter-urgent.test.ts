import { describe, expect, it } from 'vitest';
import { RequestRateLimiter } from '../../../src/app/crm/rate-limiter.ts';
import { systemCrmClock } from '../../../src/app/crm/clock.ts';

describe('rate limiter: the urgent lane (a caller waiting for a CRM lookup)', () => {
  it('an urgent request takes the next token before writes that were already waiting', async () => {
    // A real clock (ordering only): one token per 20 ms, the bucket empty.
    const limiter = new RequestRateLimiter(systemCrmClock, 1, 50);
    await limiter.acquire();
    const order: string[] = [];
    const writes = [1, 2, 3].map((n) => limiter.acquire().then(() => order.push(`write ${n}`)));
    const lookup = limiter.acquire(true).then(() => order.push('lookup'));
    await Promise.all([...writes, lookup]);
    expect(order[0]).toBe('lookup');
    expect(order).toHaveLength(4);
  });
});
