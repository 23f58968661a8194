import type { Knex } from 'knex';
import type { Migration } from './index.ts';

/**
 * Several instances share a trunk's channels: each counts the channels in use from the stored
 * attempts (a snapshot at most 1 s old), and the last free channel of a trunk is taken through a
 * claim row, so two instances cannot both take it. A claim holds until its attempt is stored and
 * every instance's snapshot shows it; `expires_at` is in the database's clock (ms).
 */
export const channelClaimsMigration: Migration = {
  name: '010_channel_claims',
  async up(db: Knex) {
    await db.schema.createTable('channel_claims', (t) => {
      t.string('trunk_id', 64).primary();
      t.string('call_id', 160).notNullable();
      t.bigInteger('expires_at').notNullable();
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('channel_claims');
  },
};
