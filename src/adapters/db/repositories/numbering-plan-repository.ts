import type { Knex } from 'knex';
import { isSqlite, type Db } from '../connection.ts';
import type { PlanEntry } from '../../../core/numbering/carrier-index.ts';
import type { IndexedRange } from '../../../core/numbering/range-index.ts';

/** One imported file of a plan version. */
export interface PlanFileInfo {
  readonly name: string;
  readonly sha256: string;
  readonly rows: number;
  readonly encoding: string;
  readonly columns: number;
}

export interface PlanVersion {
  readonly id: number;
  /** Epoch milliseconds. */
  readonly importedAt: number;
  readonly files: readonly PlanFileInfo[];
  readonly rows: number;
  readonly numbers: number;
  readonly active: boolean;
}

export interface StoredPlan {
  readonly version: PlanVersion;
  readonly entries: readonly PlanEntry[];
  readonly ranges: readonly IndexedRange[];
}

// Ranges are validated integers, written as literals (no bound variables, so SQLite's limit of
// 999 variables per statement does not apply): 1000 rows a statement keeps the import fast.
const RANGE_BATCH = 1000;
// Entries carry text: 5 bound columns × 190 rows stays under SQLite's 999 variables.
const ENTRY_BATCH = 190;

/** Streams ranges of one new version into the open transaction in batches. */
export class PlanVersionWriter {
  private readonly entryIndex = new Map<string, number>();
  private readonly entries: PlanEntry[] = [];
  private batch: string[] = [];

  constructor(private readonly trx: Knex.Transaction, readonly planId: number) {}

  /** Ordinal of an (operator, INN, region) triple, shared by all ranges that have it. */
  entryOf(operator: string, inn: string | null, region: string | null): number {
    const key = `${operator}\u0000${inn ?? ''}\u0000${region ?? ''}`;
    let ord = this.entryIndex.get(key);
    if (ord === undefined) {
      ord = this.entries.length;
      this.entries.push({ operator, inn, region });
      this.entryIndex.set(key, ord);
    }
    return ord;
  }

  /** Buffers a range; returns a promise only when a batch is written (await it then). */
  addRange(code: number, from: number, to: number, entry: number): Promise<void> | null {
    if (!(Number.isSafeInteger(code) && Number.isSafeInteger(from) && Number.isSafeInteger(to) && Number.isSafeInteger(entry))) {
      throw new TypeError(`range values must be integers: ${code} ${from} ${to} ${entry}`);
    }
    this.batch.push(`(${this.planId},${code},${from},${to},${entry})`);
    return this.batch.length >= RANGE_BATCH ? this.flushRanges() : null;
  }

  /** Numbers per code of the plan active before this import, read inside its transaction. */
  async activeNumbersByCode(): Promise<Map<number, number>> {
    const rows = await this.trx('numbering_plan_ranges as r')
      .join('numbering_plan_versions as v', 'v.id', 'r.plan_id')
      .where('v.active', true)
      .groupBy('r.code')
      .select('r.code', this.trx.raw('sum(r.range_to - r.range_from + 1) as numbers')) as { code: number | string; numbers: number | string }[];
    return new Map(rows.map((r) => [Number(r.code), Number(r.numbers)]));
  }

  async finish(): Promise<void> {
    await this.flushRanges();
    for (let i = 0; i < this.entries.length; i += ENTRY_BATCH) {
      const rows = this.entries.slice(i, i + ENTRY_BATCH).map((e, k) => ({
        plan_id: this.planId, ord: i + k, operator: e.operator, inn: e.inn, region: e.region,
      }));
      await this.trx('numbering_plan_entries').insert(rows);
    }
  }

  private async flushRanges(): Promise<void> {
    if (this.batch.length === 0) return;
    const rows = this.batch;
    this.batch = [];
    await this.trx.raw(`insert into numbering_plan_ranges (plan_id, code, range_from, range_to, entry) values ${rows.join(',')}`);
  }
}

interface VersionRow {
  id: number | string;
  imported_at: number | string;
  files: string;
  rows: number | string;
  numbers: number | string;
  active: boolean | number;
}

function toVersion(r: VersionRow): PlanVersion {
  // SQLite returns integers and booleans as numbers, PostgreSQL bigints as strings.
  return {
    id: Number(r.id),
    importedAt: Number(r.imported_at),
    files: JSON.parse(r.files) as PlanFileInfo[],
    rows: Number(r.rows),
    numbers: Number(r.numbers),
    active: r.active === true || r.active === 1,
  };
}

/**
 * PostgreSQL: serialise writers of the version table (imports, rollbacks from several instances)
 * so exactly one version ends up active; readers are not blocked. SQLite has one writer anyway.
 */
export async function lockForWrite(trx: Knex.Transaction, table: string): Promise<void> {
  if (!isSqlite(trx as unknown as Db)) await trx.raw(`lock table ${table} in share row exclusive mode`);
}

function insertedId(result: unknown): number {
  const first = (result as unknown[])[0];
  return Number(typeof first === 'object' && first !== null ? (first as { id: unknown }).id : first);
}

/** Plan versions: every successful import is kept; exactly one (or none) is active. */
export class NumberingPlanRepository {
  constructor(private readonly db: Db) {}

  /**
   * Writes a new version inside one transaction and activates it. If `body` throws, the
   * transaction rolls back: the active plan and the history stay exactly as they were.
   */
  async importVersion(
    importedAt: number,
    body: (writer: PlanVersionWriter) => Promise<{ files: readonly PlanFileInfo[]; rows: number; numbers: number }>,
  ): Promise<PlanVersion> {
    return this.db.transaction(async (trx) => {
      await lockForWrite(trx, 'numbering_plan_versions');
      const id = insertedId(await trx('numbering_plan_versions').insert(
        { imported_at: importedAt, files: '[]', rows: 0, numbers: 0, active: false }, ['id'],
      ));
      const writer = new PlanVersionWriter(trx, id);
      const result = await body(writer);
      await writer.finish();
      await trx('numbering_plan_versions').update({ active: false }).where({ active: true });
      await trx('numbering_plan_versions').where({ id }).update({
        files: JSON.stringify(result.files), rows: result.rows, numbers: result.numbers, active: true,
      });
      const row = await trx<VersionRow>('numbering_plan_versions').where({ id }).first();
      return toVersion(row!);
    });
  }

  /** All versions, newest first. */
  async history(): Promise<PlanVersion[]> {
    const rows = await this.db<VersionRow>('numbering_plan_versions').orderBy('id', 'desc');
    return rows.map(toVersion);
  }

  async active(): Promise<PlanVersion | null> {
    const row = await this.db<VersionRow>('numbering_plan_versions').where({ active: true }).first();
    return row ? toVersion(row) : null;
  }

  /**
   * Activates the version imported just before the active one. Returns it, or null when there
   * is none (nothing changes then).
   */
  async rollback(): Promise<{ from: PlanVersion; to: PlanVersion } | { from: PlanVersion | null; to: null }> {
    return this.db.transaction(async (trx) => {
      await lockForWrite(trx, 'numbering_plan_versions');
      const activeRow = await trx<VersionRow>('numbering_plan_versions').where({ active: true }).first();
      if (!activeRow) return { from: null, to: null };
      const from = toVersion(activeRow);
      const prevRow = await trx<VersionRow>('numbering_plan_versions').where('id', '<', from.id).orderBy('id', 'desc').first();
      if (!prevRow) return { from, to: null };
      await trx('numbering_plan_versions').update({ active: false }).where({ id: from.id });
      await trx('numbering_plan_versions').update({ active: true }).where({ id: Number(prevRow.id) });
      return { from: { ...from, active: false }, to: { ...toVersion(prevRow), active: true } };
    });
  }

  /**
   * The active plan's entries and ranges, or null when nothing was imported yet. With `codes`,
   * only the ranges of those 3-digit codes and the entries they point at (a one-off lookup).
   */
  async loadActive(codes?: readonly number[]): Promise<StoredPlan | null> {
    const version = await this.active();
    if (!version) return null;
    const rangesOf = (q: Knex.QueryBuilder) => (codes ? q.whereIn('code', codes) : q);
    const entryQuery = this.db('numbering_plan_entries')
      .select('ord', 'operator', 'inn', 'region').where({ plan_id: version.id }).orderBy('ord');
    if (codes) entryQuery.whereIn('ord', rangesOf(this.db('numbering_plan_ranges').select('entry').where({ plan_id: version.id })));
    const entryRows = await entryQuery;
    const entries: PlanEntry[] = new Array(entryRows.length);
    for (const e of entryRows as { ord: number | string; operator: string; inn: string | null; region: string | null }[]) {
      entries[Number(e.ord)] = { operator: e.operator, inn: e.inn, region: e.region };
    }
    const rangeRows = await rangesOf(this.db('numbering_plan_ranges')
      .select('code', 'range_from', 'range_to', 'entry').where({ plan_id: version.id }));
    const ranges: IndexedRange[] = (rangeRows as { code: number; range_from: number; range_to: number; entry: number }[])
      .map((r) => ({ code: Number(r.code), from: Number(r.range_from), to: Number(r.range_to), entry: Number(r.entry) }));
    return { version, entries, ranges };
  }
}
