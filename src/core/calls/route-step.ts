import { classifyOutcome } from '../outcome/classify.ts';
import { nextAttempt, type TrunkState } from '../routing/next-attempt.ts';
import type { Attempt } from '../routing/types.ts';
import type { CompiledRules } from '../rules/compile.ts';
import type { OutcomeDecision } from '../rules/model.ts';

/** The stored plan as the step needs it. */
export interface PlanView {
  readonly attempts: readonly Attempt[];
  readonly rotateAfterManualLine: boolean;
  readonly maxAttempts: number;
}

/** The attempt dialled before this request (attempt number − 1), as stored. */
export interface PreviousAttempt {
  readonly planIndex: number | null;
  readonly trunkId: string | null;
  readonly tier: string | null;
}

export type StopCode = 'callee-outcome' | 'manual-line' | 'attempt-cap' | 'plan-exhausted';

export type RouteStep =
  | { readonly kind: 'dial'; readonly attempt: Attempt; readonly planIndex: number; readonly previousDecision: OutcomeDecision | null }
  | { readonly kind: 'stop'; readonly code: StopCode; readonly reason: string; readonly previousDecision: OutcomeDecision | null };

export interface RouteStepInput {
  readonly plan: PlanView;
  /** The attempt number the dialplan asks for (1 = the call starts). */
  readonly attemptNo: number;
  readonly previous: PreviousAttempt | null;
  /** DIALSTATUS and HANGUPCAUSE of the previous attempt as the dialplan reported them. */
  readonly dialStatus: string;
  readonly hangupCause: number | null;
  readonly rules: CompiledRules;
  readonly trunks: TrunkState;
}

/**
 * One route request against a stored plan (DECISIONS §6, §7, §9): attempt 1 takes the first usable
 * entry; a later attempt first classifies how the previous one ended — a callee outcome stops, a
 * technical failure rotates to the next stored entry that is still enabled and has a free channel,
 * unless it was a manual line the department does not rotate away from, or the cap is reached.
 */
export function routeStep(input: RouteStepInput): RouteStep {
  const { plan, attemptNo, previous } = input;
  let previousDecision: OutcomeDecision | null = null;
  let from = 0;
  if (attemptNo > 1 && previous !== null) {
    const overrides = previous.trunkId !== null ? input.rules.trunkById.get(previous.trunkId)?.trunk.causeOverrides : undefined;
    previousDecision = classifyOutcome(input.dialStatus, input.hangupCause, overrides ?? {});
    const outcome = `${input.dialStatus || 'no DIALSTATUS'}, cause ${input.hangupCause ?? 0}`;
    if (previousDecision === 'stop') {
      return { kind: 'stop', code: 'callee-outcome', reason: `attempt ${attemptNo - 1} ended with ${outcome}: no rotation`, previousDecision };
    }
    if (previous.tier === 'manual' && !plan.rotateAfterManualLine) {
      return {
        kind: 'stop',
        code: 'manual-line',
        reason: `the manually chosen line (trunk ${previous.trunkId ?? '?'}) failed with ${outcome}; the department does not rotate away from a manual line`,
        previousDecision,
      };
    }
    from = (previous.planIndex ?? -1) + 1;
  }
  if (attemptNo > plan.maxAttempts) {
    return { kind: 'stop', code: 'attempt-cap', reason: `the cap of ${plan.maxAttempts} attempts per call is reached`, previousDecision };
  }
  const next = nextAttempt(plan.attempts, from, input.trunks, input.rules);
  if (next === null) {
    const why = plan.attempts.length === 0 ? 'the plan has no attempt' : 'no further trunk in the plan is enabled with a free channel';
    return { kind: 'stop', code: 'plan-exhausted', reason: why, previousDecision };
  }
  // A manual line that is disabled or full at attempt 1 is treated as failed (DECISIONS §7).
  const first = plan.attempts[0];
  if (attemptNo === 1 && first?.tier === 'manual' && next.index !== 0 && !plan.rotateAfterManualLine) {
    return { kind: 'stop', code: 'manual-line', reason: `the manually chosen line (trunk ${first.trunk}) is disabled or has no free channel`, previousDecision };
  }
  return { kind: 'dial', attempt: next.attempt, planIndex: next.index, previousDecision };
}
