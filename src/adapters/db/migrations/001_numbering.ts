import type { Knex } from 'knex';
import type { Migration } from './index.ts';

/**
 * Numbering-plan versions (history, rollback), their ranges with the raw operator/INN/region
 * (carrier keys are applied when the index is built), and ported-number snapshots stored as
 * chunked binary blobs so several instances sharing PostgreSQL load the same set.
 */
export const numberingMigration: Migration = {
  name: '001_numbering',
  async up(db: Knex) {
    await db.schema.createTable('numbering_plan_versions', (t) => {
      t.increments('id').primary();
      t.bigInteger('imported_at').notNullable();
      // JSON: [{ "name", "sha256", "rows", "encoding", "columns" }]
      t.text('files').notNullable();
      t.integer('rows').notNullable();
      t.bigInteger('numbers').notNullable();
      t.boolean('active').notNullable().defaultTo(false);
    });
    await db.schema.createTable('numbering_plan_entries', (t) => {
      t.integer('plan_id').notNullable().references('id').inTable('numbering_plan_versions').onDelete('CASCADE');
      t.integer('ord').notNullable();
      t.text('operator').notNullable();
      t.string('inn', 12).nullable();
      t.text('region').nullable();
      t.primary(['plan_id', 'ord']);
    });
    await db.schema.createTable('numbering_plan_ranges', (t) => {
      t.integer('plan_id').notNullable().references('id').inTable('numbering_plan_versions').onDelete('CASCADE');
      t.integer('code').notNullable();
      t.integer('range_from').notNullable();
      t.integer('range_to').notNullable();
      t.integer('entry').notNullable();
      t.index(['plan_id', 'code', 'range_from'], 'numbering_plan_ranges_lookup');
    });
    await db.schema.createTable('ported_snapshots', (t) => {
      t.increments('id').primary();
      t.bigInteger('imported_at').notNullable();
      // full | increment | returned
      t.string('mode', 16).notNullable();
      t.text('file').notNullable();
      t.string('sha256', 64).notNullable();
      t.integer('rows').notNullable();
      t.integer('numbers').notNullable();
      t.bigInteger('bytes').notNullable();
      t.boolean('active').notNullable().defaultTo(false);
    });
    await db.schema.createTable('ported_snapshot_chunks', (t) => {
      t.integer('snapshot_id').notNullable().references('id').inTable('ported_snapshots').onDelete('CASCADE');
      t.integer('seq').notNullable();
      t.binary('data').notNullable();
      t.primary(['snapshot_id', 'seq']);
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('ported_snapshot_chunks');
    await db.schema.dropTableIfExists('ported_snapshots');
    await db.schema.dropTableIfExists('numbering_plan_ranges');
    await db.schema.dropTableIfExists('numbering_plan_entries');
    await db.schema.dropTableIfExists('numbering_plan_versions');
  },
};
