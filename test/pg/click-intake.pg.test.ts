import { migrateLatest, openDb } from '../../src/adapters/db/connection.ts';
import { clickIntakeContract, CLICK_TABLES } from '../contracts/click-intake.contract.ts';
import { TEST_PG_URL } from '../support/db.ts';

// Only the tables these tests write are cleaned: other suites share this database.
clickIntakeContract('PostgreSQL', async () => {
  const db = openDb({ url: TEST_PG_URL });
  await migrateLatest(db);
  // The writer process's connections carry a name of their own: the kill test waits for them to go.
  const url = new URL(TEST_PG_URL);
  url.searchParams.set('application_name', 'click-writer');
  return {
    db,
    url: url.toString(),
    async afterKill() {
      // A backend ends once it has run what the killed client had sent and sees the socket closed.
      for (;;) {
        const open = await db.raw(`select count(*)::int as n from pg_stat_activity where application_name = 'click-writer'`) as { rows: { n: number }[] };
        if (open.rows[0]?.n === 0) return;
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async clean() {
      for (const table of CLICK_TABLES) await db(table).delete();
    },
    close: () => db.destroy(),
  };
});
