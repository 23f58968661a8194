import type { Trial } from '../../core/health/breaker.ts';
import type { SimUsage } from '../../core/health/sim-limits.ts';
import type { HealthSnapshot } from '../../core/health/snapshot.ts';
import type { OutcomeDecision } from '../../core/rules/model.ts';

/** A stored technical failure (a rotate-class outcome). */
export interface FailureRow {
  readonly trunkId: string;
  readonly at: number;
  readonly cause: number;
}

/** Where trunk health is counted from: the stored attempts and calls, shared by every instance. */
export interface TrunkHealthStore {
  /** Technical failures that ended at or after `since`, oldest first. */
  failuresSince(since: number): Promise<FailureRow[]>;
  /** The first attempt on the trunk started at or after `from` (a half-open trunk's trial). */
  firstAttemptFrom(trunkId: string, from: number): Promise<Trial | null>;
  /** Use of these SIMs: calls since `hourFrom` and `dayFrom`, minutes since `dayFrom`, the last start. */
  simUsage(trunkIds: readonly string[], at: { readonly hourFrom: number; readonly dayFrom: number }): Promise<Map<string, SimUsage>>;
  /**
   * Atomically records `now` as the SIM's last call start if at least `gapMs` passed since the
   * previous one; false when another call (on any instance) took the SIM within the gap.
   */
  reserveGap(trunkId: string, now: number, gapMs: number): Promise<boolean>;
}

/** What routing asks of trunk health on the hot path. */
export interface TrunkHealthPort {
  /** Trunks out of routes right now (at most one refresh period old); never waits. */
  snapshot(): HealthSnapshot;
  /** A route answer handed this trunk to a call (a half-open trunk's trial is then under way). */
  started(trunkId: string, at: number): void;
  /** An attempt's outcome on this trunk was stored: count it soon. */
  outcome(trunkId: string, decision: OutcomeDecision): void;
  /** True when the trunk needs `reserve` before dialling (a SIM with a minimum gap). */
  needsReservation(trunkId: string): boolean;
  /** Takes the SIM's minimum gap atomically; false: another call just took it, try the next trunk. */
  reserve(trunkId: string, at: number): Promise<boolean>;
}
