import type { Knex } from 'knex';
import type { Migration } from './index.ts';

/**
 * The admin alerts, shared by every instance and the CLI: what is wrong now and when the admins
 * were last told, so a restart neither forgets an alert nor tells it again too early. One row per
 * alert (kind and subject); a cleared condition stays until its "cleared" notice is sent.
 */
export const alertsMigration: Migration = {
  name: '022_alerts',
  async up(db: Knex) {
    await db.schema.createTable('admin_alerts', (t) => {
      t.string('key', 300).primary();
      t.string('kind', 32).notNullable();
      t.string('subject', 255).notNullable();
      t.text('message').notNullable();
      t.bigInteger('since').notNullable();
      t.bigInteger('last_at').notNullable();
      t.integer('count').notNullable();
      t.bigInteger('notified_at').nullable();
      t.bigInteger('cleared_at').nullable();
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('admin_alerts');
  },
};
