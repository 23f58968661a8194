import type { Knex } from 'knex';
import { incrementText, PER_MINUTE, type Increment } from '../../core/rules/billing.ts';
import type { CallCostGroup } from '../../core/savings/types.ts';
import { checkGrouping, DAY_MS, groupedCallsSql, groupsOfRows, pgReportSettings, rowsOf, type GroupingQuery, type Row } from './call-cost-sql.ts';

const HOUR_MS = 3_600_000;

/** How the totals are cut: buckets, callee digits kept, increments billed under. */
export interface CallCostShape {
  /** Calls are added up per (started_at + offsetMs) / bucketMs: days of the rules' zone. */
  readonly bucketMs: number;
  readonly offsetMs: number;
  readonly prefixDigits: number;
  readonly increments: readonly Increment[];
}

/**
 * What the shipped rules need: Moscow days, four digits (`7495`), and the increments carriers bill
 * with most (every started minute, per second, a first minute then per second).
 */
export const DEFAULT_CALL_COST_SHAPE: CallCostShape = {
  bucketMs: DAY_MS,
  offsetMs: 3 * HOUR_MS,
  prefixDigits: 4,
  increments: [PER_MINUTE, { first: 1, step: 1 }, { first: 60, step: 1 }],
};

/** The advisory lock (PostgreSQL) the triggers of migration 021 hold shared and a rebuild alone. */
export const CALL_COST_TOTALS_LOCK = 2_115_021;

const isPg = (db: Knex): boolean => db.client.config.client === 'pg';

export async function readCallCostShape(db: Knex): Promise<CallCostShape | null> {
  const row = (await db('call_cost_shape').where({ id: 1 }).first()) as { bucket_ms: number | string; offset_ms: number | string; prefix_digits: number | string } | undefined;
  if (row === undefined) return null;
  const incs = (await db('call_cost_increments').select('first_sec', 'step_sec')) as { first_sec: number | string; step_sec: number | string }[];
  return {
    bucketMs: Number(row.bucket_ms),
    offsetMs: Number(row.offset_ms),
    prefixDigits: Number(row.prefix_digits),
    increments: incs.map((i) => ({ first: Number(i.first_sec), step: Number(i.step_sec) })),
  };
}

/** Whether totals of this shape answer the query: enough digits, every increment, buckets that fit its days. */
export function shapeFits(shape: CallCostShape, q: GroupingQuery): boolean {
  const have = new Set(shape.increments.map(incrementText));
  return shape.prefixDigits >= q.prefixDigits
    && q.increments.every((i) => have.has(incrementText(i)))
    && (q.dayOffsetMs === null || (q.dayOffsetMs - shape.offsetMs) % shape.bucketMs === 0);
}

/**
 * Builds the totals anew at this shape from every stored call, in one transaction. On PostgreSQL
 * the exclusive advisory lock waits for writers already counted under the old shape and holds back
 * new ones until the new shape is in place; on SQLite the first write takes the lock.
 */
export async function rebuildCallCostTotals(db: Knex, shape: CallCostShape): Promise<void> {
  const increments = [...new Map([PER_MINUTE, ...shape.increments].map((i) => [incrementText(i), i])).values()];
  const q: GroupingQuery = { prefixDigits: shape.prefixDigits, increments, dayOffsetMs: null };
  checkGrouping(q);
  await db.transaction(async (trx) => {
    if (isPg(trx)) await trx.raw('SELECT pg_advisory_xact_lock(?)', [CALL_COST_TOTALS_LOCK]);
    await trx('call_cost_shape').insert({ id: 1, bucket_ms: shape.bucketMs, offset_ms: shape.offsetMs, prefix_digits: shape.prefixDigits }).onConflict('id').merge();
    await trx('call_cost_increments').delete();
    await trx('call_cost_increments').insert(increments.map((i) => ({ first_sec: i.first, step_sec: i.step })));
    await trx('call_cost_totals').delete();
    await pgReportSettings(trx);
    const groups = groupsOfRows(rowsOf(await trx.raw(groupedCallsSql(q, false, { ms: shape.bucketMs, offsetMs: shape.offsetMs }))), q, true);
    const rows = groups.flatMap((g) => increments.map((i) => ({
      bucket: g.day, trunk_id: g.trunk ?? '', department_id: g.department ?? '', dest_carrier: g.carrier ?? '', dest_on_net: g.onNet ?? '',
      dest_country: g.country ?? '', prefix: g.prefix, first_sec: i.first, step_sec: i.step,
      calls: g.calls, talk_sec: g.talkSec, cost_units: g.actualUnits, billed_sec: g.billedSec[incrementText(i)] ?? 0,
    })));
    for (let i = 0; i < rows.length; i += 500) await trx('call_cost_totals').insert(rows.slice(i, i + 500));
  });
}

/**
 * Groups of the buckets [first, end) from the totals: by day (at the query's offset) or over the
 * whole span, callee digits cut to what is asked. Each increment's row of a key carries the same
 * calls, talk and cost; only its billed seconds differ.
 */
export async function readCallCostTotals(db: Knex, q: GroupingQuery, shape: CallCostShape, first: number, end: number): Promise<CallCostGroup[]> {
  checkGrouping(q);
  const keys = ['trunk_id', 'department_id', 'dest_carrier', 'dest_on_net', 'dest_country'];
  const prefix = `SUBSTR(prefix, 1, ${q.prefixDigits})`;
  const day = q.dayOffsetMs === null ? null : `((bucket * ${shape.bucketMs} - ${shape.offsetMs} + ${q.dayOffsetMs}) / ${DAY_MS})`;
  const groupBy = [...(day ? [day] : []), ...keys, prefix, 'first_sec', 'step_sec'];
  const incs = q.increments.map((i) => `(first_sec = ${i.first} AND step_sec = ${i.step})`).join(' OR ');
  const sql = `SELECT ${day ? `${day} AS day, ` : ''}${keys.join(', ')}, ${prefix} AS prefix, first_sec, step_sec,
      SUM(calls) AS calls, SUM(talk_sec) AS talk_sec, SUM(cost_units) AS cost_units, SUM(billed_sec) AS billed_sec
    FROM call_cost_totals WHERE bucket >= ? AND bucket < ? AND (${incs})
    GROUP BY ${groupBy.join(', ')} HAVING SUM(calls) <> 0`;
  const out = new Map<string, CallCostGroup & { billedSec: Record<string, number> }>();
  const str = (v: Row[string] | undefined): string | null => (v === null || v === undefined || v === '' ? null : String(v));
  for (const r of rowsOf(await db.raw(sql, [first, end]))) {
    // Key columns hold no NUL: joined with one they cannot run together.
    const key = `${r.day ?? ''}\0${r.trunk_id}\0${r.department_id}\0${r.dest_carrier}\0${r.dest_on_net}\0${r.dest_country}\0${r.prefix}`;
    let g = out.get(key);
    if (!g) {
      g = {
        day: day ? Number(r.day) : null, trunk: str(r.trunk_id), department: str(r.department_id), carrier: str(r.dest_carrier),
        onNet: str(r.dest_on_net), country: str(r.dest_country), prefix: String(r.prefix ?? ''),
        calls: Number(r.calls), talkSec: Number(r.talk_sec), actualUnits: Number(r.cost_units), billedSec: {},
      };
      out.set(key, g);
    }
    g.billedSec[`${Number(r.first_sec)}/${Number(r.step_sec)}`] = Number(r.billed_sec);
  }
  return [...out.values()];
}

/** The whole buckets of [from, to), as bucket numbers [first, end) (empty when end <= first), and where bucket b starts. */
export function wholeBuckets(from: number, to: number, shape: CallCostShape): { readonly first: number; readonly end: number; readonly start: (b: number) => number } {
  return {
    first: Math.ceil((from + shape.offsetMs) / shape.bucketMs),
    end: Math.floor((to + shape.offsetMs) / shape.bucketMs),
    start: (b) => b * shape.bucketMs - shape.offsetMs,
  };
}
