import type { Knex } from 'knex';
import { incrementText, MAX_INCREMENT_SECONDS, type Increment } from '../../core/rules/billing.ts';
import type { CallCostGroup } from '../../core/savings/types.ts';

export const DAY_MS = 86_400_000;

/** What one grouping of stored calls is asked for. */
export interface GroupingQuery {
  readonly prefixDigits: number;
  readonly increments: readonly Increment[];
  /** Group by day too, days starting at this offset from UTC (ms); null = not by day. */
  readonly dayOffsetMs: number | null;
}

/** The increments and offsets below are written into SQL: checked integers only. */
export function checkGrouping(q: GroupingQuery): void {
  if (!Number.isInteger(q.prefixDigits) || q.prefixDigits < 1 || q.prefixDigits > 15) throw new Error(`prefix digits ${q.prefixDigits} out of range`);
  for (const i of q.increments) {
    for (const v of [i.first, i.step]) if (!Number.isInteger(v) || v < 1 || v > MAX_INCREMENT_SECONDS) throw new Error(`billing increment part ${v} out of range`);
  }
  if (q.dayOffsetMs !== null && (!Number.isInteger(q.dayOffsetMs) || Math.abs(q.dayOffsetMs) > DAY_MS)) throw new Error(`day offset ${q.dayOffsetMs} out of range`);
}

/** Billed seconds of one call under an increment, in SQL (integer division truncates on both databases). */
function billedSql(i: Increment): string {
  return `CASE WHEN duration_sec <= ${i.first} THEN ${i.first} ELSE ${i.first} + ((duration_sec - ${i.first} + ${i.step - 1}) / ${i.step}) * ${i.step} END`;
}

/**
 * Answered calls with a cost, added up by the savings report's keys in one statement, over
 * `started_at >= ? AND started_at < ?` (or every call when `range` is false), by day or by bucket
 * (`day` is then the bucket number). The `calls_savings` index (migration 013) covers every column read.
 */
export function groupedCallsSql(q: GroupingQuery, range: boolean, bucket: { readonly ms: number; readonly offsetMs: number } | null = null): string {
  checkGrouping(q);
  if (bucket !== null && (!Number.isInteger(bucket.ms) || bucket.ms < 60_000 || bucket.ms > DAY_MS)) throw new Error(`bucket ${bucket.ms} ms out of range`);
  if (bucket !== null && (!Number.isInteger(bucket.offsetMs) || Math.abs(bucket.offsetMs) > DAY_MS)) throw new Error(`bucket offset ${bucket.offsetMs} ms out of range`);
  const keys = ['trunk_id', 'department_id', 'dest_carrier', 'dest_on_net', 'dest_country'];
  const prefix = `COALESCE(SUBSTR(number_e164, 2, ${q.prefixDigits}), '')`;
  const groupBy = [...keys, prefix];
  const select = [...keys, `${prefix} AS prefix`, 'COUNT(*) AS calls', 'SUM(duration_sec) AS talk_sec', 'SUM(cost_units) AS actual_units'];
  if (bucket !== null || q.dayOffsetMs !== null) {
    // Buckets: the same expression as the totals' triggers (migration 021).
    const day = bucket !== null ? `((started_at + ${bucket.offsetMs}) / ${bucket.ms})` : `((started_at + ${q.dayOffsetMs}) / ${DAY_MS})`;
    select.push(`${day} AS day`);
    groupBy.push(day);
  }
  q.increments.forEach((inc, n) => select.push(`SUM(${billedSql(inc)}) AS billed_${n}`));
  return `SELECT ${select.join(', ')} FROM calls
    WHERE ${range ? 'started_at >= ? AND started_at < ? AND ' : ''}cost_units IS NOT NULL AND duration_sec > 0
    GROUP BY ${groupBy.join(', ')}`;
}

export type Row = Record<string, string | number | null>;

export function rowsOf(result: unknown): Row[] {
  return Array.isArray(result) ? (result as Row[]) : (result as { rows: Row[] }).rows;
}

const n = (v: string | number | null | undefined): number => (v === null || v === undefined ? 0 : Number(v));
/** Key columns: NULL in calls, '' in the daily totals; both mean "not known". */
const s = (v: string | number | null | undefined): string | null => (v === null || v === undefined || v === '' ? null : String(v));

/** Rows of groupedCallsSql as groups. */
export function groupsOfRows(rows: readonly Row[], q: GroupingQuery, byTime = q.dayOffsetMs !== null): CallCostGroup[] {
  return rows.map((r) => ({
    day: byTime ? n(r.day) : null,
    trunk: s(r.trunk_id),
    department: s(r.department_id),
    carrier: s(r.dest_carrier),
    onNet: s(r.dest_on_net),
    country: s(r.dest_country),
    prefix: String(r.prefix ?? ''),
    calls: n(r.calls),
    talkSec: n(r.talk_sec),
    actualUnits: n(r.actual_units),
    billedSec: Object.fromEntries(q.increments.map((inc, i) => [incrementText(inc), n(r[`billed_${i}`])])),
  }));
}

/**
 * For one statement on PostgreSQL. It cannot estimate how few groups the calls make (a few
 * hundred, even by day), so it would sort every call by seven text keys; hashing them is about
 * twice as fast. No JIT: it costs more than it saves on a query that runs once. SET LOCAL ends with
 * the transaction, so nothing else is affected.
 */
export const PG_REPORT_SETTINGS: readonly string[] = ['SET LOCAL enable_sort = off', "SET LOCAL work_mem = '64MB'", 'SET LOCAL jit = off'];

export async function pgReportSettings(trx: Knex.Transaction): Promise<void> {
  if (trx.client.config.client !== 'pg') return;
  for (const setting of PG_REPORT_SETTINGS) await trx.raw(setting);
}
