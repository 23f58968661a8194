import { migrateLatest, openDb } from '../../src/adapters/db/connection.ts';
import { consoleContract } from '../contracts/console.contract.ts';
import { TEST_PG_URL } from '../support/db.ts';

consoleContract('PostgreSQL', async () => {
  const db = openDb({ url: TEST_PG_URL });
  await migrateLatest(db);
  return { db, close: () => db.destroy() };
});
