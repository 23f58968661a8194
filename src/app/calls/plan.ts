import { onNetCarrier } from '../../core/numbering/carrier.ts';
import { isExcludedNumber } from '../../core/rules/crm-scope.ts';
import type { CompiledRules } from '../../core/rules/compile.ts';
import type { RouteDecision } from '../../core/routing/types.ts';
import type { StoredPlan } from './call-record.ts';

/** The part of a decision stored with the call and consumed attempt by attempt (DECISIONS §6). */
export function planOf(decision: RouteDecision, rules: CompiledRules): StoredPlan {
  return {
    // Explanation text is not stored: `calls show` re-explains on demand.
    attempts: decision.attempts.map((a) => ({
      trunk: a.trunk, dial: a.dial, callerId: a.callerId, tier: a.tier, perMinute: a.perMinute, ringTimeout: a.ringTimeout,
    })),
    manualLine: decision.manualLine,
    rotateAfterManualLine: decision.rotateAfterManualLine,
    maxAttempts: rules.maxAttempts,
    carrier: decision.carrier.key,
    onNet: onNetCarrier(decision.carrier),
    country: decision.number?.country ?? null,
    department: decision.departments[0] ?? null,
    record: decision.number === null ? true : !isExcludedNumber(rules, decision.number.e164),
  };
}
