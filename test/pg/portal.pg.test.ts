import { migrateLatest, openDb } from '../../src/adapters/db/connection.ts';
import { portalContract } from '../contracts/portal.contract.ts';
import { TEST_PG_URL } from '../support/db.ts';

portalContract('PostgreSQL', async () => {
  const db = openDb({ url: TEST_PG_URL });
  await migrateLatest(db);
  return { db, close: () => db.destroy() };
});
