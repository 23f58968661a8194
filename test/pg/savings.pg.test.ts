import { migrateLatest, openDb } from '../../src/adapters/db/connection.ts';
import { savingsContract, SAVINGS_TABLES } from '../contracts/savings.contract.ts';
import { TEST_PG_URL } from '../support/db.ts';

// Only the tables the report reads are cleaned: other suites share this database.
savingsContract('PostgreSQL', async () => {
  const db = openDb({ url: TEST_PG_URL });
  await migrateLatest(db);
  return {
    db,
    async clean() {
      for (const table of SAVINGS_TABLES) await db(table).delete();
    },
    close: () => db.destroy(),
  };
});
