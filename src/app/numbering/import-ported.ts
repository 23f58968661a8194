import type { Db } from '../../adapters/db/connection.ts';
import { PortedRepository, type PortedSnapshotMeta } from '../../adapters/db/repositories/ported-repository.ts';
import { readPortedFile, type PortedLayoutName, type PortedMode } from '../../adapters/numbering-plan/ported-file-reader.ts';
import type { CarrierMapping } from '../../core/numbering/carrier-mapping.ts';
import { portedShrinkProblem } from '../../core/numbering/import-shrink.ts';
import { PortedSetBuilder } from '../../core/numbering/ported-builder.ts';
import { DEFAULT_MAX_SHRINK, ImportRefusedError } from './import-refused.ts';
import { PortedSet, type PortedChange } from '../../core/numbering/ported-set.ts';

export { PortedFileError } from '../../adapters/numbering-plan/ported-file-reader.ts';
export { ImportRefusedError } from './import-refused.ts';

export interface PortedImportSummary {
  readonly snapshot: PortedSnapshotMeta;
  readonly layout: PortedLayoutName;
  readonly mode: PortedMode;
  readonly rows: number;
  /** Numbers in the override set after the import. */
  readonly numbers: number;
  readonly added: number;
  readonly updated: number;
  readonly removed: number;
  /** Numbers listed more than once in a full file (the last one sorted wins). */
  readonly duplicates: number;
  /** Numbers per carrier key in the resulting set. */
  readonly byCarrier: readonly { readonly key: string; readonly numbers: number }[];
  /** Owner ids carriers.yaml does not map, with the numbers they hold in the resulting set. */
  readonly unknownOwners: readonly { readonly owner: string; readonly numbers: number }[];
  readonly seconds: number;
  /** What `force` let through (the guard's reason), or null. */
  readonly forced: string | null;
}

export interface ImportPortedOptions {
  readonly db: Db;
  readonly file: string;
  readonly mapping: CarrierMapping;
  readonly now: number;
  readonly mode?: PortedMode;
  readonly onProgress?: (bytes: number) => void;
  /** Share (0–1) of the override set a full feed may remove (default 10 %). */
  readonly maxShrink?: number;
  /** Import a full feed even when it would shrink the set more than that. */
  readonly force?: boolean;
}

/**
 * Imports a ported-numbers file. A full file (Port_All…) replaces the override set; an
 * increment or a plain `number;carrier` file changes it; a returned-numbers file removes its
 * numbers. The resulting set is stored as one binary snapshot; nothing changes on an error.
 * A full file with no rows, or one that would shrink the set by more than maxShrink (a truncated
 * download looks like that), is refused unless forced. Increments are not checked: they are
 * changes, and removing numbers is what a returned-numbers file is for.
 */
export async function importPorted(options: ImportPortedOptions): Promise<PortedImportSummary> {
  const started = process.hrtime.bigint();
  const repo = new PortedRepository(options.db);
  const builder = new PortedSetBuilder();
  const changes: PortedChange[] = [];
  let sinkMode: PortedMode | null = null;
  let lastOwner = '';
  let lastOrd = -1;
  const result = await readPortedFile(options.file, (number, owner) => {
    if (sinkMode === 'full') {
      // Owner strings are interned by the reader: compare by identity before a map lookup.
      if (owner !== lastOwner || lastOrd < 0) {
        lastOwner = owner;
        lastOrd = builder.ownerOrdinal(owner);
      }
      builder.addOrdinal(number, lastOrd);
    } else {
      changes.push({ number, owner: sinkMode === 'returned' ? null : owner });
    }
  }, {
    mode: options.mode,
    onBytes: options.onProgress,
    onLayout: (layout) => {
      sinkMode = layout.mode;
    },
  });
  const mode = result.layout.mode;

  let set: PortedSet;
  let added = 0;
  let updated = 0;
  let removed = 0;
  let duplicates = 0;
  let forced: string | null = null;
  if (mode === 'full') {
    if (result.rows === 0 && options.force !== true) throw new ImportRefusedError(`${options.file}: a full ported-numbers file with no rows: nothing imported (--force empties the set)`);
    const built = builder.build();
    set = built.set;
    duplicates = built.duplicates;
    added = set.size;
    const problem = portedShrinkProblem((await repo.activeMeta())?.numbers ?? 0, set.size, options.maxShrink ?? DEFAULT_MAX_SHRINK);
    if (problem !== null && options.force !== true) {
      throw new ImportRefusedError(`${options.file}: import refused, the ported numbers are unchanged: ${problem}. Use --force if this is meant`);
    }
    forced = problem;
  } else {
    const stored = await repo.loadActive();
    const current = stored ? PortedSet.decode(stored.bytes) : PortedSet.EMPTY;
    const applied = current.apply(changes);
    ({ set, added, updated, removed } = applied);
  }

  const snapshot = await repo.save(set.encode(), {
    importedAt: options.now, mode, file: options.file, sha256: result.sha256, rows: result.rows, numbers: set.size,
  });

  const byCarrier = new Map<string, number>();
  const unknownOwners: { owner: string; numbers: number }[] = [];
  for (const [owner, count] of set.countByOwner()) {
    if (count === 0) continue;
    const key = options.mapping.carrierOfOwner(owner);
    if (key === null) unknownOwners.push({ owner, numbers: count });
    else byCarrier.set(key, (byCarrier.get(key) ?? 0) + count);
  }
  return {
    snapshot,
    layout: result.layout.name,
    mode,
    rows: result.rows,
    numbers: set.size,
    added, updated, removed, duplicates,
    byCarrier: [...byCarrier.entries()].map(([key, numbers]) => ({ key, numbers })).sort((a, b) => b.numbers - a.numbers),
    unknownOwners: unknownOwners.sort((a, b) => b.numbers - a.numbers),
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    forced,
  };
}
