import { beforeAll } from 'vitest';
import { migrateLatest, openDb } from '../../src/adapters/db/connection.ts';
import { resetPortal } from '../../src/adapters/db/repositories/portal-reset.ts';
import { hostileNumbersScenario } from '../e2e/service/hostile-numbers.ts';
import { TEST_PG_URL } from '../support/db.ts';

// The lane's files share one database: the demo's portal must not meet one another file installed.
beforeAll(async () => {
  const db = openDb({ url: TEST_PG_URL });
  try {
    await migrateLatest(db);
    await resetPortal(db, Date.now());
  } finally {
    await db.destroy();
  }
});

hostileNumbersScenario('PostgreSQL', { DATABASE_URL: TEST_PG_URL });
