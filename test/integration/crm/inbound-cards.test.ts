import { tempSqliteDb } from '../../support/db.ts';
import { inboundCardsContract } from '../../contracts/inbound-cards.contract.ts';

inboundCardsContract('SQLite', async () => {
  const t = await tempSqliteDb();
  return { db: t.db, second: t.db, close: t.close };
});
