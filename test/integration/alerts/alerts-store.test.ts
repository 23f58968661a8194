import { tempSqliteDb } from '../../support/db.ts';
import { alertsContract } from '../../contracts/alerts.contract.ts';

alertsContract('SQLite', async () => {
  const t = await tempSqliteDb();
  return { db: t.db, second: t.db, close: t.close };
});
