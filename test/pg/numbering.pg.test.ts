import { migrateLatest, openDb } from '../../src/adapters/db/connection.ts';
import { numberingContract } from '../contracts/numbering.contract.ts';
import { TEST_PG_URL } from '../support/db.ts';

// Only the numbering tables are cleaned: other suites share this database.
const TABLES = ['ported_snapshot_chunks', 'ported_snapshots', 'numbering_plan_ranges', 'numbering_plan_entries', 'numbering_plan_versions'];

numberingContract('PostgreSQL', async () => {
  const db = openDb({ url: TEST_PG_URL });
  await migrateLatest(db);
  return {
    db,
    async clean() {
      for (const table of TABLES) await db(table).delete();
    },
    close: () => db.destroy(),
  };
});
