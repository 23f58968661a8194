/** What a savings report adds up by. */
export type SavingsGroupBy = 'trunk' | 'department' | 'carrier' | 'day';
export const SAVINGS_GROUP_BY: readonly SavingsGroupBy[] = ['trunk', 'department', 'carrier', 'day'];

/**
 * Answered calls with the same trunk, department and destination, added up by the database.
 * Money is in units (ten-thousandths of a rouble, money.ts).
 */
export interface CallCostGroup {
  /** Days since 1970-01-01 in the report's time zone; null unless the report is by day. */
  readonly day: number | null;
  /** The trunk that carried the calls. */
  readonly trunk: string | null;
  /** The department whose policy routed them; null for calls stored before it was kept. */
  readonly department: string | null;
  readonly carrier: string | null;
  /** The gateway carrier on-net for the callee (null for landlines). */
  readonly onNet: string | null;
  /** ISO alpha-2 of the callee; null when not stored (taken as domestic). */
  readonly country: string | null;
  /** The leading E.164 digits of the callee (as many as the longest prefix tariff needs). */
  readonly prefix: string;
  readonly calls: number;
  readonly talkSec: number;
  /** The stored cost of these calls. */
  readonly actualUnits: number;
  /** Billed seconds of these calls under each increment asked for, keyed `first/step`. */
  readonly billedSec: Readonly<Record<string, number>>;
}

/** Figures of a report line or of the whole report. Money in units. */
export interface SavingsFigures {
  readonly calls: number;
  readonly talkSec: number;
  /** Billed seconds on the trunks that carried the calls. */
  readonly billedSec: number;
  readonly actualUnits: number;
  /** The same calls through the department's default trunk only. */
  readonly baselineUnits: number;
  /** The same calls, each destination through the one configured trunk cheapest for it. */
  readonly cheapestUnits: number;
}

export interface SavingsLine extends SavingsFigures {
  /** Trunk id, department id, carrier key or `YYYY-MM-DD`; `unknown` when not known. */
  readonly key: string;
  /** Department or trunk name when the rules have one. */
  readonly name: string | null;
}

export type AdviceKind = 'not-allowed' | 'no-gateway' | 'off-net' | 'routing-order';

/** Where a cheaper trunk existed, why the routing did not use it, and what it would have saved. */
export interface SavingsAdvice {
  readonly kind: AdviceKind;
  readonly department: string | null;
  readonly departmentName: string | null;
  /** Destination carriers of these calls (`unknown` for none). */
  readonly carriers: readonly string[];
  readonly calls: number;
  readonly fromTrunk: string;
  /** Per-minute price of fromTrunk for these calls; null when it differs between them. */
  readonly fromPerMinute: number | null;
  readonly toTrunk: string;
  readonly toPerMinute: number | null;
  readonly savingUnits: number;
  /** The rule to change: file and key. */
  readonly rule: string;
  readonly message: string;
}

export interface SavingsReport {
  readonly from: number;
  readonly to: number;
  readonly groupBy: SavingsGroupBy;
  readonly total: SavingsFigures;
  /**
   * Calls with no known department or default trunk, or whose default trunk cannot carry them (a GSM
   * default trunk and a call abroad): their baseline is their actual cost.
   */
  readonly callsWithoutBaseline: number;
  readonly lines: readonly SavingsLine[];
  readonly advice: readonly SavingsAdvice[];
}
