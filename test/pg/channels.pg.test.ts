import { migrateLatest, openDb } from '../../src/adapters/db/connection.ts';
import { channelsContract, CHANNEL_TABLES } from '../contracts/channels.contract.ts';
import { TEST_PG_URL } from '../support/db.ts';

// Two instances on one PostgreSQL. Only the tables these tests write are cleaned: other suites share this database.
channelsContract('PostgreSQL', 2, async () => {
  const db = openDb({ url: TEST_PG_URL });
  await migrateLatest(db);
  return {
    db,
    async clean() {
      for (const table of CHANNEL_TABLES) await db(table).delete();
    },
    close: () => db.destroy(),
  };
});
