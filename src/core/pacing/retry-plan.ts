import type { CustomerOutcome } from './outcome.ts';
import type { RetryMinutes } from './settings.ts';

export type LeadNext =
  | { readonly kind: 'done'; readonly reason: string }
  | {
    readonly kind: 'retry';
    readonly at: number;
    /** An abandoned lead's retry keeps an operator for it, so it cannot be abandoned twice. */
    readonly reserveOperator: boolean;
  };

const MINUTE = 60_000;

/**
 * After an outcome: the lead is done (answered, or out of attempts) or called again after the
 * retry plan's delay for that outcome. "No free operator" counts as a technical error (seed 002).
 */
export function nextForLead(outcome: CustomerOutcome, attemptsMade: number, maxAttempts: number, retry: RetryMinutes, now: number): LeadNext {
  if (outcome === 'answered') return { kind: 'done', reason: 'answered' };
  if (attemptsMade >= maxAttempts) return { kind: 'done', reason: `no answer after ${attemptsMade} attempt(s) (the maximum)` };
  const minutes = outcome === 'no-answer' || outcome === 'machine' ? retry.noAnswer
    : outcome === 'unreachable' ? retry.unreachable
      : outcome === 'busy' ? retry.busy
        : retry.technical;
  return { kind: 'retry', at: now + minutes * MINUTE, reserveOperator: outcome === 'abandoned' };
}
