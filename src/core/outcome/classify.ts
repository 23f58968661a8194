import type { OutcomeDecision } from '../rules/model.ts';

/** Causes that mean the callee (or the network on its behalf) answered the question: don't redial elsewhere. */
const STOP_CAUSES: ReadonlySet<number> = new Set([1, 16, 17, 18, 19, 21, 22, 23, 28]);

/** Dial statuses that are the callee's own answer (DECISIONS §9): never rotate on them. */
const STOP_STATUSES: ReadonlySet<string> = new Set(['ANSWER', 'BUSY', 'NOANSWER', 'CANCEL']);

/** Only these statuses look at HANGUPCAUSE. */
const TECHNICAL_STATUSES: ReadonlySet<string> = new Set(['CHANUNAVAIL', 'CONGESTION']);

/**
 * Rotate to the next trunk, or stop? DIALSTATUS first, HANGUPCAUSE only for CHANUNAVAIL and
 * CONGESTION (a busy callee shows BUSY with cause 0, so a cause-first rule would redial them).
 * Cause 0 under CHANUNAVAIL means the dialled channel failed before ringing: rotate.
 * `overrides` are a trunk's per-cause settings (e.g. cause 21 → rotate for a gateway whose auth
 * failures look like rejects).
 */
export function classifyOutcome(
  dialStatus: string,
  hangupCause: number | null,
  overrides: Readonly<Record<number, OutcomeDecision>> = {},
): OutcomeDecision {
  const status = dialStatus.trim().toUpperCase();
  if (STOP_STATUSES.has(status)) return 'stop';
  if (!TECHNICAL_STATUSES.has(status)) return 'stop';
  const cause = hangupCause ?? 0;
  const override = overrides[cause];
  if (override) return override;
  return STOP_CAUSES.has(cause) ? 'stop' : 'rotate';
}

/** The cause table as documented in the README: every cause named in DECISIONS §9 and the reference. */
export const DOCUMENTED_TECHNICAL_CAUSES: readonly number[] = [
  0, 3, 8, 20, 27, 29, 31, 34, 38, 41, 42, 44, 47, 50, 52, 58, 63, 65, 66, 68, 69, 79, 88, 102, 111, 127,
];
export const DOCUMENTED_STOP_CAUSES: readonly number[] = [...STOP_CAUSES].sort((a, b) => a - b);
