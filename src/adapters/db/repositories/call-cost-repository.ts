import type { Knex } from 'knex';
import type { CallCostQuery, CallCostSource } from '../../../app/savings/ports.ts';
import { incrementText, MAX_INCREMENT_SECONDS, type Increment } from '../../../core/rules/billing.ts';
import type { CallCostGroup } from '../../../core/savings/types.ts';

const DAY_MS = 86_400_000;

/** Billed seconds of one call under an increment, in SQL (integer division truncates on both databases). */
function billedSql(i: Increment): string {
  // The parts are validated integers (billing.ts); checked again here since they are written into the SQL.
  for (const v of [i.first, i.step]) if (!Number.isInteger(v) || v < 1 || v > MAX_INCREMENT_SECONDS) throw new Error(`billing increment part ${v} out of range`);
  return `CASE WHEN duration_sec <= ${i.first} THEN ${i.first} ELSE ${i.first} + ((duration_sec - ${i.first} + ${i.step - 1}) / ${i.step}) * ${i.step} END`;
}

type Row = Record<string, string | number | null>;

/**
 * For this one statement on PostgreSQL. It cannot estimate how few groups the calls make (a few
 * hundred, even by day), so it sorts every call by seven text keys — 3–6 s over a million calls
 * on a loaded machine; hashing them instead takes 1.6–2 s. No JIT: it costs more than it saves on
 * a query that runs once. SET LOCAL ends with the transaction, so nothing else is affected.
 */
export const PG_REPORT_SETTINGS: readonly string[] = ['SET LOCAL enable_sort = off', "SET LOCAL work_mem = '64MB'", 'SET LOCAL jit = off'];

/**
 * Answered calls with a cost, added up by the savings report's keys in one statement. The
 * `calls_savings` index (migration 013) covers every column read, so the scan never touches the
 * table rows.
 */
export class CallCostRepository implements CallCostSource {
  constructor(private readonly db: Knex) {}

  async callCostGroups(q: CallCostQuery): Promise<CallCostGroup[]> {
    if (!Number.isInteger(q.prefixDigits) || q.prefixDigits < 1 || q.prefixDigits > 15) throw new Error(`prefix digits ${q.prefixDigits} out of range`);
    const keys = ['trunk_id', 'department_id', 'dest_carrier', 'dest_on_net', 'dest_country'];
    const prefix = `COALESCE(SUBSTR(number_e164, 2, ${q.prefixDigits}), '')`;
    const groupBy = [...keys, prefix];
    const select = [...keys, `${prefix} AS prefix`, 'COUNT(*) AS calls', 'SUM(duration_sec) AS talk_sec', 'SUM(cost_units) AS actual_units'];
    if (q.dayOffsetMs !== null) {
      if (!Number.isInteger(q.dayOffsetMs) || Math.abs(q.dayOffsetMs) > DAY_MS) throw new Error(`day offset ${q.dayOffsetMs} out of range`);
      // Written into the SQL (a checked integer): the same expression in SELECT and GROUP BY.
      const day = `((started_at + ${q.dayOffsetMs}) / ${DAY_MS})`;
      select.push(`${day} AS day`);
      groupBy.push(day);
    }
    q.increments.forEach((inc, n) => select.push(`SUM(${billedSql(inc)}) AS billed_${n}`));
    const sql = `SELECT ${select.join(', ')} FROM calls
      WHERE started_at >= ? AND started_at < ? AND cost_units IS NOT NULL AND duration_sec > 0
      GROUP BY ${groupBy.join(', ')}`;
    const result: unknown = this.db.client.config.client === 'pg'
      ? await this.db.transaction(async (trx) => {
        for (const setting of PG_REPORT_SETTINGS) await trx.raw(setting);
        return trx.raw(sql, [q.from, q.to]);
      })
      : await this.db.raw(sql, [q.from, q.to]);
    const rows: Row[] = Array.isArray(result) ? (result as Row[]) : (result as { rows: Row[] }).rows;
    const n = (v: string | number | null): number => (v === null ? 0 : Number(v));
    const s = (v: string | number | null): string | null => (v === null ? null : String(v));
    return rows.map((r) => ({
      day: q.dayOffsetMs === null ? null : n(r.day ?? null),
      trunk: s(r.trunk_id ?? null),
      department: s(r.department_id ?? null),
      carrier: s(r.dest_carrier ?? null),
      onNet: s(r.dest_on_net ?? null),
      country: s(r.dest_country ?? null),
      prefix: String(r.prefix ?? ''),
      calls: n(r.calls ?? null),
      talkSec: n(r.talk_sec ?? null),
      actualUnits: n(r.actual_units ?? null),
      billedSec: Object.fromEntries(q.increments.map((inc, i) => [incrementText(inc), n(r[`billed_${i}`] ?? null)])),
    }));
  }
}
