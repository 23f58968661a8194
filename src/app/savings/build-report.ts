import type { CompiledRules } from '../../core/rules/compile.ts';
import { incrementsOf, prefixDigitsFor } from '../../core/savings/destination.ts';
import { zoneOffsetMs } from '../../core/savings/calendar.ts';
import { savingsReportOf } from '../../core/savings/report.ts';
import type { CallCostGroup, SavingsGroupBy, SavingsReport } from '../../core/savings/types.ts';
import type { CallCostSource } from './ports.ts';

export interface SavingsDeps {
  readonly source: CallCostSource;
  /** The rules in force: their tariffs price the baseline and the cheapest routes. */
  readonly rules: () => CompiledRules;
}

/**
 * The calls started in [from, to), added up by the database by trunk, department and destination —
 * and by day when `byDay` (days as the call centre counts them: its zone's offset at the start of
 * the period). Whole days come from the daily totals, the rest from the calls themselves.
 */
export async function callCostGroupsOf(deps: SavingsDeps, rules: CompiledRules, from: number, to: number, byDay: boolean): Promise<CallCostGroup[]> {
  return deps.source.callCostGroups({
    from,
    to,
    prefixDigits: prefixDigitsFor(rules),
    increments: incrementsOf(rules),
    dayOffsetMs: zoneOffsetMs(rules.timezone, from),
    byDay,
  });
}

/** The savings report for calls started in [from, to): the database adds the calls up, the core prices the groups. */
export async function buildSavingsReport(deps: SavingsDeps, from: number, to: number, groupBy: SavingsGroupBy): Promise<SavingsReport> {
  const rules = deps.rules();
  const groups = await callCostGroupsOf(deps, rules, from, to, groupBy === 'day');
  return savingsReportOf(groups, rules, { from, to, groupBy });
}
