import { migrateLatest, openDb } from '../../src/adapters/db/connection.ts';
import { dialerContract, DIALER_TABLES } from '../contracts/dialer.contract.ts';
import { TEST_PG_URL } from '../support/db.ts';

// Only the dialer's tables are cleaned: other suites share this database.
dialerContract('PostgreSQL', async () => {
  const db = openDb({ url: TEST_PG_URL });
  await migrateLatest(db);
  return {
    db,
    async clean() {
      for (const table of DIALER_TABLES) await db(table).delete();
    },
    close: () => db.destroy(),
  };
});
