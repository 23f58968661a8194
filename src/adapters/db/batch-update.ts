import type { Knex } from 'knex';

/** SQL types the values are cast to (PostgreSQL cannot infer a CASE branch's parameter type). */
export type ColumnType = 'text' | 'integer' | 'bigint' | 'double precision';

export interface RowUpdate {
  /** The key columns' values, in the order of `keyColumns`. */
  readonly key: readonly (string | number)[];
  /** Column → new value; only these columns of this row change. */
  readonly set: Readonly<Record<string, unknown>>;
}

const MAX_ROWS = 100;

/**
 * Different values for different rows in one statement per 100 rows (SQLite and PostgreSQL):
 * `UPDATE t SET c = CASE WHEN <key matches> THEN CAST(? AS type) … ELSE c END … WHERE <any key>`.
 * A statement costs a round trip on the one SQLite connection whatever its size, so a batch of
 * per-row changes is written as one rather than as one each.
 */
export async function updateRows(
  q: Knex | Knex.Transaction,
  table: string,
  keyColumns: readonly string[],
  types: Readonly<Record<string, ColumnType>>,
  rows: readonly RowUpdate[],
): Promise<void> {
  // A key given twice: its later changes win, as they would in one update after the other.
  const byKey = new Map<string, RowUpdate>();
  for (const given of rows) {
    // As knex's update: an undefined value leaves its column alone.
    const r = { key: given.key, set: Object.fromEntries(Object.entries(given.set).filter(([, v]) => v !== undefined)) };
    if (Object.keys(r.set).length === 0) continue;
    const k = JSON.stringify(r.key);
    const before = byKey.get(k);
    byKey.set(k, before ? { key: r.key, set: { ...before.set, ...r.set } } : r);
  }
  const merged = [...byKey.values()];
  for (let i = 0; i < merged.length; i += MAX_ROWS) await q.raw(...updateStatement(table, keyColumns, types, merged.slice(i, i + MAX_ROWS)));
}

/** The SQL and bindings of one chunk's UPDATE. */
function updateStatement(
  table: string,
  keyColumns: readonly string[],
  types: Readonly<Record<string, ColumnType>>,
  rows: readonly RowUpdate[],
): [string, Knex.RawBinding[]] {
  const id = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const match = `(${keyColumns.map((k) => `${id(k)} = ?`).join(' AND ')})`;
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r.set)))];
  const bindings: unknown[] = [];
  const sets = columns.map((column) => {
    const type = types[column];
    if (type === undefined) throw new Error(`updateRows: no type given for ${table}.${column}`);
    const branches = rows.filter((r) => column in r.set).map((r) => {
      bindings.push(...r.key, r.set[column] ?? null);
      return `WHEN ${match} THEN CAST(? AS ${type})`;
    });
    return `${id(column)} = CASE ${branches.join(' ')} ELSE ${id(column)} END`;
  });
  for (const r of rows) bindings.push(...r.key);
  const where = rows.map(() => match).join(' OR ');
  return [`UPDATE ${id(table)} SET ${sets.join(', ')} WHERE ${where}`, bindings as Knex.RawBinding[]];
}
