import { clickIntakeContract, CLICK_TABLES } from '../../contracts/click-intake.contract.ts';
import { tempSqliteDb } from '../../support/db.ts';

clickIntakeContract('SQLite', async () => {
  const t = await tempSqliteDb();
  return {
    db: t.db,
    url: t.url,
    async clean() {
      for (const table of CLICK_TABLES) await t.db(table).delete();
    },
    close: () => t.close(),
  };
});
