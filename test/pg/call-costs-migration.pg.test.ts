import knexFactory from 'knex';
import { openDb } from '../../src/adapters/db/connection.ts';
import { callCostsMigrationContract } from '../contracts/call-costs-migration.contract.ts';
import { TEST_PG_URL } from '../support/db.ts';

// In a schema of its own, so the tables other suites use in `public` are never touched.
callCostsMigrationContract('PostgreSQL', async () => {
  const schema = 'call_costs_migration_check';
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
