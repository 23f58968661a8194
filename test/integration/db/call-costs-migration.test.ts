import { openDb } from '../../../src/adapters/db/connection.ts';
import { migrationSource } from '../../../src/adapters/db/migrations/index.ts';
import { callCostsMigrationContract } from '../../contracts/call-costs-migration.contract.ts';
import { tempSqliteDb } from '../../support/db.ts';

callCostsMigrationContract('SQLite', async () => {
  const h = await tempSqliteDb();
  await h.db.destroy();
  const db = openDb({ url: h.url });
  await db.migrate.rollback({ migrationSource }, true);
  return {
    db,
    async close() {
      await db.destroy();
      await h.close().catch(() => undefined);
    },
  };
});
