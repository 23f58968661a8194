import { migrateLatest, openDb } from '../../src/adapters/db/connection.ts';
import { outboxContract } from '../contracts/outbox.contract.ts';
import { outboxRoundsContract } from '../contracts/outbox-rounds.contract.ts';
import { TEST_PG_URL } from '../support/db.ts';

async function pg() {
  const db = openDb({ url: TEST_PG_URL });
  await migrateLatest(db);
  return { db, close: () => db.destroy() };
}

outboxContract('PostgreSQL', pg);
outboxRoundsContract('PostgreSQL', pg);
