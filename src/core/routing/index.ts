/** The routing core's public surface. */
export { decideRoute, type DecideOptions } from './decide.ts';
export { nextAttempt, type TrunkState } from './next-attempt.ts';
export { formatNumber, renderDial, parseDialTemplate, DIAL_MACROS } from './dial-string.ts';
export { TIER_ORDER } from './eligibility.ts';
export type { Attempt, Refusal, RefusalCode, RouteDecision, RouteRequest, Tier } from './types.ts';
