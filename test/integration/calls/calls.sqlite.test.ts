import { callsRepositoryContract, CALLS_TABLES } from '../../contracts/calls.contract.ts';
import { tempSqliteDb } from '../../support/db.ts';

callsRepositoryContract('SQLite', async () => {
  const t = await tempSqliteDb();
  return {
    db: t.db,
    async clean() {
      for (const table of CALLS_TABLES) await t.db(table).delete();
    },
    close: () => t.close(),
  };
});
