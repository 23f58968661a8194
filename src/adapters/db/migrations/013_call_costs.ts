import type { Knex } from 'knex';
import type { Migration } from './index.ts';

/**
 * The savings report adds up a period's calls in one pass: each call keeps its cost as an integer
 * (ten-thousandths of a rouble) and the destination and department its route was planned for, so
 * the report groups plain columns instead of parsing every stored plan. A covering index on the
 * start time holds every column the report reads. Calls stored before this migration get their
 * values from their cost and plan; their department was not stored then and stays unknown.
 */
export const callCostsMigration: Migration = {
  name: '013_call_costs',
  async up(db: Knex) {
    await db.schema.alterTable('calls', (t) => {
      t.bigInteger('cost_units').nullable();
      t.string('dest_carrier', 64).nullable();
      t.string('dest_on_net', 64).nullable();
      t.string('dest_country', 2).nullable();
      t.string('department_id', 64).nullable();
    });
    const pg = db.client.config.client === 'pg';
    await db.raw('UPDATE calls SET cost_units = CAST(ROUND(cost * 10000) AS BIGINT) WHERE cost IS NOT NULL');
    const field = (name: string) => (pg ? `((plan::jsonb) ->> '${name}')` : `json_extract(plan, '$.${name}')`);
    await db.raw(
      `UPDATE calls SET dest_carrier = ${field('carrier')}, dest_on_net = COALESCE(${field('onNet')}, ${field('carrier')}),
       dest_country = ${field('country')}, department_id = ${field('department')} WHERE plan IS NOT NULL`,
    );
    await db.schema.alterTable('calls', (t) => {
      t.index(
        ['started_at', 'trunk_id', 'department_id', 'dest_carrier', 'dest_on_net', 'dest_country', 'duration_sec', 'cost_units', 'number_e164'],
        'calls_savings',
      );
    });
  },
  async down(db: Knex) {
    await db.schema.alterTable('calls', (t) => {
      t.dropIndex([], 'calls_savings');
    });
    await db.schema.alterTable('calls', (t) => {
      t.dropColumn('department_id');
      t.dropColumn('dest_country');
      t.dropColumn('dest_on_net');
      t.dropColumn('dest_carrier');
      t.dropColumn('cost_units');
    });
  },
};
