import { describe, expect, it } from 'vitest';
import { restFailure } from '../../../src/adapters/bitrix24/errors.ts';
import type { B24Gateway, RestOutcome } from '../../../src/adapters/bitrix24/gateway.ts';
import { virtualClock } from '../../../src/app/crm/clock.ts';
import { rateLimitedGateway } from '../../../src/app/crm/limited-gateway.ts';
import { RequestRateLimiter } from '../../../src/app/crm/rate-limiter.ts';

describe('rateLimitedGateway', () => {
  it('makes direct calls (syncs, reads) wait for the same bucket as the outbox, and empties it on QUERY_LIMIT_EXCEEDED', async () => {
    const clock = virtualClock(0);
    const limiter = new RequestRateLimiter(clock, 2, 2);
    const sentAt: number[] = [];
    let answer: RestOutcome = { ok: true, result: [], more: false, total: 0 };
    const inner: B24Gateway = {
      call: async () => {
        sentAt.push(clock.now());
        return answer;
      },
      batch: async () => ({ ok: true, results: new Map() }),
    };
    const gateway = rateLimitedGateway(inner, limiter);
    // The outbox took one token already: one left in the burst, then 2 per second.
    await limiter.acquire();
    for (let i = 0; i < 3; i++) await gateway.call('user.get', { start: i * 50 });
    expect(sentAt).toEqual([0, 500, 1000]);
    await clock.sleep(9000); // idle: our bucket is full again (2 tokens) at t = 10 s
    answer = { ok: false, error: restFailure('QUERY_LIMIT_EXCEEDED', 'Too many requests', 503) };
    await gateway.call('telephony.externalLine.get');
    // The portal said its bucket is full (other apps share it): ours starts from empty, so the
    // next request waits half a second although our own count still had a token.
    answer = { ok: true, result: [], more: false, total: 0 };
    await gateway.call('telephony.externalLine.get');
    expect(sentAt.slice(3)).toEqual([10_000, 10_500]);
  });
});
