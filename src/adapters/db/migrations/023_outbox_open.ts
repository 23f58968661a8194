import type { Knex } from 'knex';
import type { Migration } from './index.ts';

/**
 * The outbox's open entries (pending or in flight) in id order: the claim walks this index
 * instead of the done rows, which pile up until the housekeeping purge, so its cost follows the
 * open entries only. The claim repeats the predicate word for word (SQLite uses a partial index
 * only then).
 */
export const outboxOpenMigration: Migration = {
  name: '023_outbox_open',
  async up(db: Knex) {
    await db.raw(`CREATE INDEX crm_outbox_open ON crm_outbox (id) WHERE state IN ('pending', 'inflight')`);
  },
  async down(db: Knex) {
    await db.raw('DROP INDEX IF EXISTS crm_outbox_open');
  },
};
