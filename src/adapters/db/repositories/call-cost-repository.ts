import type { Knex } from 'knex';
import type { CallCostQuery, CallCostSource } from '../../../app/savings/ports.ts';
import { mergeCallCostGroups } from '../../../core/savings/groups.ts';
import type { CallCostGroup } from '../../../core/savings/types.ts';
import { DEFAULT_CALL_COST_SHAPE, readCallCostShape, readCallCostTotals, rebuildCallCostTotals, shapeFits, wholeBuckets } from '../call-cost-totals.ts';
import { groupedCallsSql, groupsOfRows, pgReportSettings, rowsOf, type GroupingQuery } from '../call-cost-sql.ts';

export { PG_REPORT_SETTINGS } from '../call-cost-sql.ts';

/**
 * Answered calls with a cost, added up by the savings report's keys: whole days from the daily
 * totals (migration 021), the hours before the first and after the last whole day from the calls
 * themselves. The totals are rebuilt first when the rules need another shape of them (more callee
 * digits, another billing increment, other day boundaries for a report by day).
 */
export class CallCostRepository implements CallCostSource {
  constructor(private readonly db: Knex) {}

  async callCostGroups(q: CallCostQuery): Promise<CallCostGroup[]> {
    const grouping: GroupingQuery = { prefixDigits: q.prefixDigits, increments: q.increments, dayOffsetMs: q.byDay ? q.dayOffsetMs : null };
    const shape = await readCallCostShape(this.db);
    if (shape === null || !shapeFits(shape, grouping)) {
      await rebuildCallCostTotals(this.db, {
        bucketMs: DEFAULT_CALL_COST_SHAPE.bucketMs,
        offsetMs: q.byDay || shape === null ? q.dayOffsetMs : shape.offsetMs,
        prefixDigits: q.prefixDigits,
        increments: q.increments,
      });
    }
    // One snapshot for the totals and the edges, so a call finished meanwhile is in both or neither.
    return this.db.transaction(async (trx) => {
      const now = await readCallCostShape(trx);
      if (now === null || !shapeFits(now, grouping)) return this.rawIn(trx, grouping, [[q.from, q.to]]);
      const { first, end, start } = wholeBuckets(q.from, q.to, now);
      if (end <= first) return this.rawIn(trx, grouping, [[q.from, q.to]]);
      const edges: [number, number][] = [[q.from, start(first)], [start(end), q.to]];
      const totals = await readCallCostTotals(trx, grouping, now, first, end);
      return mergeCallCostGroups([...totals, ...(await this.rawIn(trx, grouping, edges.filter(([a, b]) => a < b)))]);
    }, this.db.client.config.client === 'pg' ? { isolationLevel: 'repeatable read' } : undefined);
  }

  /** The same groups added up from the calls themselves only (the daily totals are checked against it). */
  async rawCallCostGroups(q: CallCostQuery): Promise<CallCostGroup[]> {
    const grouping: GroupingQuery = { prefixDigits: q.prefixDigits, increments: q.increments, dayOffsetMs: q.byDay ? q.dayOffsetMs : null };
    return this.db.transaction((trx) => this.rawIn(trx, grouping, [[q.from, q.to]]));
  }

  private async rawIn(trx: Knex.Transaction, q: GroupingQuery, ranges: readonly (readonly [number, number])[]): Promise<CallCostGroup[]> {
    await pgReportSettings(trx);
    const sql = groupedCallsSql(q, true);
    const out: CallCostGroup[] = [];
    for (const [from, to] of ranges) out.push(...groupsOfRows(rowsOf(await trx.raw(sql, [from, to])), q));
    return ranges.length > 1 ? mergeCallCostGroups(out) : out;
  }
}
