import { leadershipContract } from '../../contracts/leadership.contract.ts';
import { tempSqliteDb } from '../../support/db.ts';

// One instance, one connection: the same handle plays both sides.
leadershipContract('SQLite', async () => {
  const t = await tempSqliteDb();
  return { db: t.db, second: t.db, close: () => t.close() };
});
