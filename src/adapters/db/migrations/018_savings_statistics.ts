import type { Knex } from 'knex';
import type { Migration } from './index.ts';

/**
 * PostgreSQL guesses how many groups the savings report makes by multiplying each column's
 * distinct values, so it expects hundreds of thousands and sorts every call instead of hashing a
 * few hundred groups. Statistics on the columns together tell it the truth. SQLite has no such
 * statistics and needs nothing here.
 */
export const savingsStatisticsMigration: Migration = {
  name: '018_savings_statistics',
  async up(db: Knex) {
    if (db.client.config.client !== 'pg') return;
    await db.raw('CREATE STATISTICS IF NOT EXISTS calls_savings_groups (ndistinct) ON trunk_id, department_id, dest_carrier, dest_on_net, dest_country FROM calls');
    await db.raw('ANALYZE calls');
  },
  async down(db: Knex) {
    if (db.client.config.client !== 'pg') return;
    await db.raw('DROP STATISTICS IF EXISTS calls_savings_groups');
  },
};
