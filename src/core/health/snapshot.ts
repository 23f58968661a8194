/**
 * What the routing core needs to know about trunk health right now: the trunks taken out of
 * routes and why. Built by the application (counts from stored attempts); the core only reads it.
 */

/** One technical failure (a rotate-class outcome, DECISIONS §9) of a trunk. */
export interface Failure {
  /** When the attempt ended, ms. */
  readonly at: number;
  /** Q.850 cause (0 when none was recorded). */
  readonly cause: number;
}

export type SimLimitName = 'callsPerHour' | 'callsPerDay' | 'minutesPerDay' | 'minGapSeconds';

export type TrunkBlock =
  /** The breaker is open: too many technical failures. */
  | { readonly kind: 'open'; readonly since: number; readonly until: number; readonly failures: readonly Failure[] }
  /** Half-open: one trial call is under way; the others wait for its outcome. */
  | { readonly kind: 'trial'; readonly since: number; readonly trialSince: number }
  /** A SIM limit is reached; `until` is when it frees up (null: not known in advance). */
  | { readonly kind: 'limit'; readonly limit: SimLimitName; readonly used: number; readonly max: number; readonly until: number | null };

/** Trunk id → why it is out of routes. Trunks not in it are usable. */
export type HealthSnapshot = ReadonlyMap<string, TrunkBlock>;

export const HEALTHY: HealthSnapshot = new Map();
