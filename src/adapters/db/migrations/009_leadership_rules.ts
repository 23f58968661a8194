import type { Knex } from 'knex';
import type { Migration } from './index.ts';

/**
 * Several instances on one database: `leader_lease` holds one row per kind of leader-only work
 * (who holds it, until when, and its fencing term); `rules_versions` keeps every rules set ever
 * imported (the YAML texts, by file name) — the newest one is in use.
 */
export const leadershipRulesMigration: Migration = {
  name: '009_leadership_rules',
  async up(db: Knex) {
    await db.schema.createTable('leader_lease', (t) => {
      t.string('name', 200).primary();
      t.string('holder', 200).notNullable();
      t.bigInteger('term').notNullable();
      // Milliseconds of the database's own clock: instances' clocks never decide who leads.
      t.bigInteger('expires_at').notNullable();
    });
    await db.schema.createTable('rules_versions', (t) => {
      t.integer('version').primary();
      t.text('files').notNullable();
      t.string('source', 500).notNullable();
      t.bigInteger('created_at').notNullable();
    });
  },
  async down(db: Knex) {
    await db.schema.dropTable('rules_versions');
    await db.schema.dropTable('leader_lease');
  },
};
