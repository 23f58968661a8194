import { migrateLatest, openDb } from '../../src/adapters/db/connection.ts';
import { clickIntakeContract, CLICK_TABLES } from '../contracts/click-intake.contract.ts';
import { TEST_PG_URL } from '../support/db.ts';

// Only the tables these tests write are cleaned: other suites share this database.
clickIntakeContract('PostgreSQL', async () => {
  const db = openDb({ url: TEST_PG_URL });
  await migrateLatest(db);
  return {
    db,
    url: TEST_PG_URL,
    async clean() {
      for (const table of CLICK_TABLES) await db(table).delete();
    },
    close: () => db.destroy(),
  };
});
