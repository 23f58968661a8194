import knexFactory from 'knex';
import { migrateLatest, openDb } from '../../src/adapters/db/connection.ts';
import { importGuardContract } from '../contracts/import-guard.contract.ts';
import { numberingContract } from '../contracts/numbering.contract.ts';
import { TEST_PG_URL } from '../support/db.ts';

// Only the numbering tables are cleaned: other suites share this database.
const TABLES = ['ported_snapshot_chunks', 'ported_snapshots', 'numbering_plan_ranges', 'numbering_plan_entries', 'numbering_plan_versions'];

numberingContract('PostgreSQL', async () => {
  const db = openDb({ url: TEST_PG_URL });
  await migrateLatest(db);
  return {
    db,
    async clean() {
      for (const table of TABLES) await db(table).delete();
    },
    close: () => db.destroy(),
  };
}, async () => {
  // Migrations up and down run in a schema of their own, so the tables other suites use in
  // `public` are never dropped.
  const schema = 'numbering_migration_check';
  const admin = openDb({ url: TEST_PG_URL });
  await admin.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
  await admin.raw('CREATE SCHEMA ??', [schema]);
  await admin.destroy();
  const db = knexFactory({ client: 'pg', connection: TEST_PG_URL, searchPath: [schema], pool: { min: 0, max: 4 } });
  return {
    db,
    async close() {
      await db.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [schema]);
      await db.destroy();
    },
  };
});

importGuardContract('PostgreSQL', async () => {
  const db = openDb({ url: TEST_PG_URL });
  await migrateLatest(db);
  return {
    db,
    async clean() {
      for (const table of TABLES) await db(table).delete();
    },
    close: () => db.destroy(),
  };
});
