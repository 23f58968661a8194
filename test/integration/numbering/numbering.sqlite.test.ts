import { numberingContract } from '../../contracts/numbering.contract.ts';
import { tempSqliteDb } from '../../support/db.ts';

const TABLES = ['ported_snapshot_chunks', 'ported_snapshots', 'numbering_plan_ranges', 'numbering_plan_entries', 'numbering_plan_versions'];

numberingContract('SQLite', async () => {
  const t = await tempSqliteDb();
  return {
    db: t.db,
    async clean() {
      for (const table of TABLES) await t.db(table).delete();
    },
    close: () => t.close(),
  };
});
