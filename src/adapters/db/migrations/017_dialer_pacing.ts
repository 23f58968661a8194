import type { Knex } from 'knex';
import type { Migration } from './index.ts';

/** Predictive pacing reads each campaign's answered and abandoned calls of the last 24 h or 30 days. */
export const dialerPacingMigration: Migration = {
  name: '017_dialer_pacing',
  async up(db: Knex) {
    await db.schema.alterTable('dialer_attempts', (t) => {
      t.index(['campaign_id', 'started_at'], 'dialer_attempts_campaign_started');
    });
  },
  async down(db: Knex) {
    await db.schema.alterTable('dialer_attempts', (t) => {
      t.dropIndex(['campaign_id', 'started_at'], 'dialer_attempts_campaign_started');
    });
  },
};
