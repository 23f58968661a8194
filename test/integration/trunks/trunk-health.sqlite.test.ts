import { trunkHealthContract, TRUNK_HEALTH_TABLES } from '../../contracts/trunk-health.contract.ts';
import { tempSqliteDb } from '../../support/db.ts';

trunkHealthContract('SQLite', async () => {
  const handle = await tempSqliteDb();
  return {
    db: handle.db,
    async clean() {
      for (const table of TRUNK_HEALTH_TABLES) await handle.db(table).delete();
    },
    close: () => handle.close(),
  };
});
