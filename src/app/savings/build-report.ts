import type { CompiledRules } from '../../core/rules/compile.ts';
import { incrementsOf, prefixDigitsFor } from '../../core/savings/destination.ts';
import { zoneOffsetMs } from '../../core/savings/calendar.ts';
import { savingsReportOf } from '../../core/savings/report.ts';
import type { SavingsGroupBy, SavingsReport } from '../../core/savings/types.ts';
import type { CallCostSource } from './ports.ts';

export interface SavingsDeps {
  readonly source: CallCostSource;
  /** The rules in force: their tariffs price the baseline and the cheapest routes. */
  readonly rules: () => CompiledRules;
}

/**
 * The savings report for calls started in [from, to): the database adds the calls up by trunk,
 * department and destination in one pass; the core prices the groups.
 */
export async function buildSavingsReport(deps: SavingsDeps, from: number, to: number, groupBy: SavingsGroupBy): Promise<SavingsReport> {
  const rules = deps.rules();
  const groups = await deps.source.callCostGroups({
    from,
    to,
    prefixDigits: prefixDigitsFor(rules),
    increments: incrementsOf(rules),
    // Days as the call centre counts them (its zone's offset at the start of the period).
    dayOffsetMs: groupBy === 'day' ? zoneOffsetMs(rules.timezone, from) : null,
  });
  return savingsReportOf(groups, rules, { from, to, groupBy });
}
