import type { Knex } from 'knex';
import type { Migration } from './index.ts';

/**
 * The calls not ended yet, by start: the tracker asks for them every minute (calls nothing
 * follows are closed as unseen), and `calls` keeps every call ever made. A partial index (SQLite
 * and PostgreSQL both have them) holds only the few open ones, so that question stays cheap.
 */
export const openCallsMigration: Migration = {
  name: '004_open_calls',
  async up(db: Knex) {
    await db.raw(`CREATE INDEX calls_open ON calls (started_at) WHERE state <> 'ended'`);
  },
  async down(db: Knex) {
    await db.raw('DROP INDEX calls_open');
  },
};
