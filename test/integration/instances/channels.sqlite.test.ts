import { channelsContract, CHANNEL_TABLES } from '../../contracts/channels.contract.ts';
import { tempSqliteDb } from '../../support/db.ts';

// One instance on SQLite: the same suite as several on PostgreSQL.
channelsContract('SQLite', 1, async () => {
  const handle = await tempSqliteDb();
  return {
    db: handle.db,
    async clean() {
      for (const table of CHANNEL_TABLES) await handle.db(table).delete();
    },
    close: () => handle.close(),
  };
});
