import type { Knex } from 'knex';
import type { Migration } from './index.ts';

/**
 * Trunk health and SIM limits are counted from stored attempts, every second on every instance:
 * technical failures by when they ended (a partial index holds only those, a small share of all
 * attempts), a trunk's attempts by start (SIM counts, the half-open trial), a trunk's ended calls
 * (minutes per day). `sim_gaps` holds each SIM's last call start: the one atomic reservation
 * (minimum gap between calls) that several instances must not race on.
 */
export const trunkHealthMigration: Migration = {
  name: '008_trunk_health',
  async up(db: Knex) {
    await db.raw(`CREATE INDEX call_attempts_failures ON call_attempts (ended_at) WHERE decision = 'rotate'`);
    await db.schema.alterTable('call_attempts', (t) => {
      t.index(['trunk_id', 'started_at'], 'call_attempts_trunk_started');
    });
    await db.schema.alterTable('calls', (t) => {
      t.index(['trunk_id', 'ended_at'], 'calls_trunk_ended');
    });
    await db.schema.createTable('sim_gaps', (t) => {
      t.string('trunk_id', 64).primary();
      t.bigInteger('last_start_at').notNullable();
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('sim_gaps');
    await db.schema.alterTable('calls', (t) => {
      t.dropIndex(['trunk_id', 'ended_at'], 'calls_trunk_ended');
    });
    await db.schema.alterTable('call_attempts', (t) => {
      t.dropIndex(['trunk_id', 'started_at'], 'call_attempts_trunk_started');
    });
    await db.raw('DROP INDEX call_attempts_failures');
  },
};
