import type { Increment } from '../../core/rules/billing.ts';
import type { CallCostGroup } from '../../core/savings/types.ts';

/** What the database is asked to add up for a savings report. */
export interface CallCostQuery {
  /** Calls started in [from, to), epoch ms. */
  readonly from: number;
  readonly to: number;
  /** Leading digits of the callee's E.164 number to group by. */
  readonly prefixDigits: number;
  /** Sum billed seconds under each of these increments. */
  readonly increments: readonly Increment[];
  /** Days start at this offset from UTC (ms): the report's zone at the start of the period. */
  readonly dayOffsetMs: number;
  /** Group by day too. */
  readonly byDay: boolean;
}

/** Answered, priced calls grouped by trunk, department and destination (CallCostRepository). */
export interface CallCostSource {
  callCostGroups(query: CallCostQuery): Promise<CallCostGroup[]>;
}
