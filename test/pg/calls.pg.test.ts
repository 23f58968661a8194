import { migrateLatest, openDb } from '../../src/adapters/db/connection.ts';
import { callsRepositoryContract, CALLS_TABLES } from '../contracts/calls.contract.ts';
import { TEST_PG_URL } from '../support/db.ts';

// Only the calls tables are cleaned: other suites share this database.
callsRepositoryContract('PostgreSQL', async () => {
  const db = openDb({ url: TEST_PG_URL });
  await migrateLatest(db);
  return {
    db,
    async clean() {
      for (const table of CALLS_TABLES) await db(table).delete();
    },
    close: () => db.destroy(),
  };
});
