import { migrateLatest, openDb } from '../../src/adapters/db/connection.ts';
import { trunkHealthContract, TRUNK_HEALTH_TABLES } from '../contracts/trunk-health.contract.ts';
import { TEST_PG_URL } from '../support/db.ts';

// Only the tables trunk health reads are cleaned: other suites share this database.
trunkHealthContract('PostgreSQL', async () => {
  const db = openDb({ url: TEST_PG_URL });
  await migrateLatest(db);
  return {
    db,
    async clean() {
      for (const table of TRUNK_HEALTH_TABLES) await db(table).delete();
    },
    close: () => db.destroy(),
  };
});
