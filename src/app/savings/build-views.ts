import { mergeCallCostGroups } from '../../core/savings/groups.ts';
import { savingsReportOf } from '../../core/savings/report.ts';
import type { SavingsGroupBy, SavingsReport } from '../../core/savings/types.ts';
import { callCostGroupsOf, type SavingsDeps } from './build-report.ts';

/** The report grouped as asked, and the three views the console plots (per day, carrier, department). */
export interface SavingsViews {
  readonly report: SavingsReport;
  readonly byDay: SavingsReport;
  readonly byCarrier: SavingsReport;
  readonly byDepartment: SavingsReport;
}

/**
 * All four groupings from one pass of the database: the calls are added up by day too, and the
 * core prices the same groups four ways (the totals and advice are the same in each). Only the
 * view by day needs the days: the others price the groups taken over the whole period, a thirtieth
 * as many for a month.
 */
export async function buildSavingsViews(deps: SavingsDeps, from: number, to: number, groupBy: SavingsGroupBy): Promise<SavingsViews> {
  const rules = deps.rules();
  const groups = await callCostGroupsOf(deps, rules, from, to, true);
  const period = mergeCallCostGroups(groups, false);
  const as = (by: SavingsGroupBy): SavingsReport => savingsReportOf(by === 'day' ? groups : period, rules, { from, to, groupBy: by });
  const byDay = as('day');
  const byCarrier = as('carrier');
  const byDepartment = as('department');
  const pick: Record<SavingsGroupBy, SavingsReport | null> = { day: byDay, carrier: byCarrier, department: byDepartment, trunk: null };
  return { report: pick[groupBy] ?? as(groupBy), byDay, byCarrier, byDepartment };
}
