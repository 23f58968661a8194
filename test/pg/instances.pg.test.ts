import { instancesContract } from '../contracts/instances.contract.ts';
import { TEST_PG_URL } from '../support/db.ts';

const pgUrl = new URL(TEST_PG_URL);

// Three instances, each reaching PostgreSQL through its own TCP relay (so one can be cut off).
instancesContract('PostgreSQL', 3, async () => {
  const { migrateLatest, migrateRollbackAll, openDb } = await import('../../src/adapters/db/connection.ts');
  const db = openDb({ url: TEST_PG_URL });
  await migrateRollbackAll(db);
  await migrateLatest(db);
  await db.destroy();
  return {
    databaseUrl: (port) => {
      const u = new URL(TEST_PG_URL);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    databasePort: Number(pgUrl.port || 5432),
    close: async () => undefined,
  };
});
