import { migrateLatest, openDb } from '../../src/adapters/db/connection.ts';
import { alertsContract } from '../contracts/alerts.contract.ts';
import { TEST_PG_URL } from '../support/db.ts';

// Two pools on one database: two instances (or an instance and its restart).
alertsContract('PostgreSQL', async () => {
  const db = openDb({ url: TEST_PG_URL });
  await migrateLatest(db);
  const second = openDb({ url: TEST_PG_URL });
  return { db, second, close: async () => { await second.destroy(); await db.destroy(); } };
});
