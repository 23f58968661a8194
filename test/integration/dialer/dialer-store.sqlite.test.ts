import { dialerContract, DIALER_TABLES } from '../../contracts/dialer.contract.ts';
import { tempSqliteDb } from '../../support/db.ts';

dialerContract('SQLite', async () => {
  const handle = await tempSqliteDb();
  return {
    db: handle.db,
    async clean() {
      for (const table of DIALER_TABLES) await handle.db(table).delete();
    },
    close: () => handle.close(),
  };
});
