import fs from 'node:fs';
import type { Db } from '../../adapters/db/connection.ts';
import { NumberingPlanRepository, type PlanFileInfo, type PlanVersion } from '../../adapters/db/repositories/numbering-plan-repository.ts';
import { PlanFileError, PlanFileReader } from '../../adapters/numbering-plan/plan-file-reader.ts';
import type { CarrierMapping } from '../../core/numbering/carrier-mapping.ts';
import { planShrinkProblem, type NumbersByKind } from '../../core/numbering/import-shrink.ts';
import { findOverlap, RangeColumnsBuilder } from '../../core/numbering/overlaps.ts';
import { kindOfCode } from '../../core/numbering/plan-row.ts';
import { DEFAULT_MAX_SHRINK, ImportRefusedError } from './import-refused.ts';

export { PlanFileError } from '../../adapters/numbering-plan/plan-file-reader.ts';
export { ImportRefusedError } from './import-refused.ts';

export interface ImportProgress {
  /** Called as bytes are read: `done` of `total` bytes over all files. */
  (done: number, total: number): void;
}

export interface UnmappedOperator {
  readonly operator: string;
  readonly inn: string | null;
  readonly rows: number;
  readonly numbers: number;
}

export interface PlanImportSummary {
  readonly version: PlanVersion;
  readonly rows: number;
  readonly ranges: number;
  readonly numbers: number;
  /** Carrier key → numbers, largest first; unmapped operators are listed separately. */
  readonly numbersByCarrier: readonly { readonly key: string; readonly numbers: number; readonly rows: number }[];
  readonly unmapped: readonly UnmappedOperator[];
  readonly seconds: number;
  /** What `force` let through (the guard's reason), or null when the guard had nothing to say. */
  readonly forced: string | null;
}

export interface ImportPlanOptions {
  readonly db: Db;
  readonly files: readonly string[];
  /** Used only for the summary: the stored plan keeps raw operators, mapped at index build. */
  readonly mapping: CarrierMapping;
  /** Epoch milliseconds recorded as the import time. */
  readonly now: number;
  readonly onProgress?: ImportProgress;
  /** Share (0–1) of the active plan's numbers of a kind the import may remove (default 10 %). */
  readonly maxShrink?: number;
  /** Names to record for the files in the plan history (uploads: the names the admin sent, not where they wait). */
  readonly names?: readonly string[];
  /** Import even when the guard refuses (an admin who means to drop a kind or shrink the plan). */
  readonly force?: boolean;
}

function describe(code: number, from: number, to: number): string {
  const pad = (n: number): string => String(n).padStart(7, '0');
  return `${code} ${pad(from)}–${pad(to)}`;
}

/**
 * Imports one plan version from several files (DEF + ABC-3xx + ABC-4xx + ABC-8xx together form
 * a plan). Streams each file, writes ranges in batches inside one transaction, checks overlaps
 * over the whole plan at the end. Any error rolls everything back: the active plan is unchanged.
 * The new version replaces the active one whole, so it is refused (unless forced) when it would
 * leave a kind of numbers the active plan has with no ranges, or shrink one by more than maxShrink.
 */
export async function importPlan(options: ImportPlanOptions): Promise<PlanImportSummary> {
  const started = process.hrtime.bigint();
  const { db, files, mapping } = options;
  if (files.length === 0) throw new PlanFileError('no files to import');
  const sizes = files.map((f) => {
    try {
      return fs.statSync(f).size;
    } catch (err) {
      throw new PlanFileError(`${f}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  });
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const repo = new NumberingPlanRepository(db);
  const columns = new RangeColumnsBuilder();
  // Where each range came from, for overlap messages: file index and line. Two arrays of small
  // integers rather than an object per row keep the per-row memory of a big import small.
  const originFile: number[] = [];
  const originLine: number[] = [];
  const byCarrier = new Map<string, { numbers: number; rows: number }>();
  const unmapped = new Map<string, { operator: string; inn: string | null; rows: number; numbers: number }>();
  let rows = 0;
  let numbers = 0;
  let doneBefore = 0;
  const byKind = { mobile: 0, landline: 0 };
  let forced: string | null = null;

  const version = await repo.importVersion(options.now, async (writer) => {
    const infos: PlanFileInfo[] = [];
    for (const [fileIdx, file] of files.entries()) {
      const reader = new PlanFileReader(file, (b) => options.onProgress?.(doneBefore + b, totalBytes));
      let fileRows = 0;
      for await (const { lineNo, row } of reader.rows()) {
        const entry = writer.entryOf(row.operator, row.inn, row.region);
        const pending = writer.addRange(row.code, row.from, row.to, entry);
        if (pending) await pending;
        columns.push(row.code, row.from, row.to);
        originFile.push(fileIdx);
        originLine.push(lineNo);
        const size = row.to - row.from + 1;
        fileRows++;
        numbers += size;
        const kind = kindOfCode(row.code);
        if (kind !== null) byKind[kind] += size;
        const key = mapping.carrierOf(row.operator, row.inn);
        if (key === null) {
          // The same INN appears under several spellings: count it once, under the first one seen.
          const k = row.inn ?? `name:${row.operator}`;
          const u = unmapped.get(k) ?? { operator: row.operator, inn: row.inn, rows: 0, numbers: 0 };
          u.rows++;
          u.numbers += size;
          unmapped.set(k, u);
        } else {
          const c = byCarrier.get(key) ?? { numbers: 0, rows: 0 };
          c.rows++;
          c.numbers += size;
          byCarrier.set(key, c);
        }
      }
      const read = reader.result();
      doneBefore += sizes[fileIdx]!;
      rows += fileRows;
      infos.push({ name: options.names?.[fileIdx] ?? file, sha256: read.sha256, rows: fileRows, encoding: read.encoding, columns: reader.layout!.columns });
    }
    const overlap = findOverlap(columns);
    if (overlap) {
      const [a, b] = [overlap.first, overlap.second];
      throw new PlanFileError(
        `${files[originFile[b]!]}:${originLine[b]}: overlapping ranges: ${describe(columns.code(b), columns.from(b), columns.to(b))}`
        + ` overlaps ${describe(columns.code(a), columns.from(a), columns.to(a))} at ${files[originFile[a]!]}:${originLine[a]}`,
      );
    }
    const problem = planShrinkProblem(numbersByKind(await writer.activeNumbersByCode()), byKind, options.maxShrink ?? DEFAULT_MAX_SHRINK);
    if (problem !== null && options.force !== true) {
      throw new ImportRefusedError(`import refused, the active plan is unchanged: ${problem}. `
        + 'A version replaces the whole plan: import the DEF and ABC files together, or use --force if this is meant');
    }
    forced = problem;
    return { files: infos, rows, numbers };
  });

  return {
    version,
    rows,
    ranges: rows,
    numbers,
    numbersByCarrier: [...byCarrier.entries()].map(([key, v]) => ({ key, ...v })).sort((x, y) => y.numbers - x.numbers),
    unmapped: [...unmapped.values()].sort((x, y) => y.numbers - x.numbers),
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    forced,
  };
}

function numbersByKind(byCode: ReadonlyMap<number, number>): NumbersByKind {
  const out = { mobile: 0, landline: 0 };
  for (const [code, n] of byCode) {
    const kind = kindOfCode(code);
    if (kind !== null) out[kind] += n;
  }
  return out;
}
