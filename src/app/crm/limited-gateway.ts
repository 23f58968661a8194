import type { B24Gateway, BatchCommand, BatchOutcome, RestOutcome } from '../../adapters/bitrix24/gateway.ts';
import type { RequestRateLimiter } from './rate-limiter.ts';

/**
 * A gateway whose every request first waits for the shared client-side limiter, so reads and
 * syncs (user.get pages, externalLine.*, searchCrmEntities) and the outbox drain share one view
 * of the portal's leaky bucket instead of overrunning it together.
 */
export function rateLimitedGateway(gateway: B24Gateway, limiter: RequestRateLimiter, urgent = false): B24Gateway {
  const exhaustedOn = <T extends { ok: boolean }>(outcome: T, code: string | undefined): T => {
    if (code === 'QUERY_LIMIT_EXCEEDED') limiter.exhausted();
    return outcome;
  };
  return {
    async call(method: string, params?: Readonly<Record<string, unknown>>): Promise<RestOutcome> {
      await limiter.acquire(urgent);
      const outcome = await gateway.call(method, params);
      return exhaustedOn(outcome, outcome.ok ? undefined : outcome.error.code);
    },
    async batch(commands: readonly BatchCommand[]): Promise<BatchOutcome> {
      await limiter.acquire(urgent);
      const outcome = await gateway.batch(commands);
      return exhaustedOn(outcome, outcome.ok ? undefined : outcome.error.code);
    },
  };
}
