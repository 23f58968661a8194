import { savingsContract, SAVINGS_TABLES } from '../../contracts/savings.contract.ts';
import { tempSqliteDb } from '../../support/db.ts';

savingsContract('SQLite', async () => {
  const handle = await tempSqliteDb();
  return {
    db: handle.db,
    async clean() {
      for (const table of SAVINGS_TABLES) await handle.db(table).delete();
    },
    close: () => handle.close(),
  };
});
