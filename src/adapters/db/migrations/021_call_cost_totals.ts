import type { Knex } from 'knex';
import { CALL_COST_TOTALS_LOCK, DEFAULT_CALL_COST_SHAPE, rebuildCallCostTotals } from '../call-cost-totals.ts';
import type { Migration } from './index.ts';

// The columns a call's share of the totals depends on: a change to any of them moves it.
const WATCHED = ['started_at', 'trunk_id', 'department_id', 'dest_carrier', 'dest_on_net', 'dest_country', 'number_e164', 'duration_sec', 'cost_units'];
const KEYS = 'bucket, trunk_id, department_id, dest_carrier, dest_on_net, dest_country, prefix, first_sec, step_sec';

/** One upsert adding (sign 1) or removing (sign -1) call `r` (NEW or OLD) under every increment of the shape. */
function applySql(r: 'NEW' | 'OLD', sign: 1 | -1): string {
  const billed = `CASE WHEN ${r}.duration_sec <= i.first_sec THEN i.first_sec ELSE i.first_sec + ((${r}.duration_sec - i.first_sec + i.step_sec - 1) / i.step_sec) * i.step_sec END`;
  return `INSERT INTO call_cost_totals (${KEYS}, calls, talk_sec, cost_units, billed_sec)
    SELECT (${r}.started_at + s.offset_ms) / s.bucket_ms, COALESCE(${r}.trunk_id, ''), COALESCE(${r}.department_id, ''),
      COALESCE(${r}.dest_carrier, ''), COALESCE(${r}.dest_on_net, ''), COALESCE(${r}.dest_country, ''),
      COALESCE(SUBSTR(${r}.number_e164, 2, s.prefix_digits), ''), i.first_sec, i.step_sec,
      ${sign}, ${sign} * ${r}.duration_sec, ${sign} * ${r}.cost_units, ${sign} * (${billed})
    FROM call_cost_shape s CROSS JOIN call_cost_increments i
    WHERE s.id = 1 AND ${r}.cost_units IS NOT NULL AND ${r}.duration_sec > 0
    ON CONFLICT (${KEYS}) DO UPDATE SET calls = call_cost_totals.calls + excluded.calls,
      talk_sec = call_cost_totals.talk_sec + excluded.talk_sec, cost_units = call_cost_totals.cost_units + excluded.cost_units,
      billed_sec = call_cost_totals.billed_sec + excluded.billed_sec`;
}

const counted = (r: 'NEW' | 'OLD') => `(${r}.cost_units IS NOT NULL AND ${r}.duration_sec > 0)`;

/**
 * Daily totals of answered, priced calls (`call_cost_totals`), by trunk, department and
 * destination, with billed seconds under each billing increment of `call_cost_increments`: the
 * savings report reads whole days from here instead of adding up every call. Triggers on `calls`
 * keep them in the same transaction as any write of a call's cost — a re-finished call moves its
 * share, never counts twice. `call_cost_shape` says where a bucket starts and how long it is (a
 * day of the rules' time zone) and how many callee digits are kept; the report rebuilds the
 * totals when the rules need another shape (call-cost-totals.ts). PostgreSQL: the triggers take a
 * shared advisory lock, so a rebuild (exclusive) counts every call once.
 */
export const callCostTotalsMigration: Migration = {
  name: '021_call_cost_totals',
  async up(db: Knex) {
    await db.schema.createTable('call_cost_shape', (t) => {
      t.integer('id').primary();
      t.bigInteger('bucket_ms').notNullable();
      t.bigInteger('offset_ms').notNullable();
      t.integer('prefix_digits').notNullable();
    });
    await db.schema.createTable('call_cost_increments', (t) => {
      t.integer('first_sec').notNullable();
      t.integer('step_sec').notNullable();
      t.primary(['first_sec', 'step_sec']);
    });
    await db.schema.createTable('call_cost_totals', (t) => {
      // (started_at + offset_ms) / bucket_ms: the local day (the shape's bucket) the call started on.
      t.bigInteger('bucket').notNullable();
      // '' where the call's column is NULL: a key column of a primary key cannot be NULL.
      t.string('trunk_id', 64).notNullable();
      t.string('department_id', 64).notNullable();
      t.string('dest_carrier', 64).notNullable();
      t.string('dest_on_net', 64).notNullable();
      t.string('dest_country', 2).notNullable();
      t.string('prefix', 16).notNullable();
      t.integer('first_sec').notNullable();
      t.integer('step_sec').notNullable();
      t.bigInteger('calls').notNullable();
      t.bigInteger('talk_sec').notNullable();
      t.bigInteger('cost_units').notNullable();
      t.bigInteger('billed_sec').notNullable();
      t.primary(['bucket', 'trunk_id', 'department_id', 'dest_carrier', 'dest_on_net', 'dest_country', 'prefix', 'first_sec', 'step_sec']);
    });
    const changed = WATCHED.map((c) => (db.client.config.client === 'pg' ? `OLD.${c} IS DISTINCT FROM NEW.${c}` : `OLD.${c} IS NOT NEW.${c}`)).join(' OR ');
    if (db.client.config.client === 'pg') {
      await db.raw(`CREATE FUNCTION call_cost_totals_apply() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_advisory_xact_lock_shared(${CALL_COST_TOTALS_LOCK});
          IF TG_OP <> 'INSERT' THEN ${applySql('OLD', -1)}; END IF;
          IF TG_OP <> 'DELETE' THEN ${applySql('NEW', 1)}; END IF;
          RETURN NULL;
        END $$`);
      await db.raw(`CREATE TRIGGER call_cost_totals_insert AFTER INSERT ON calls FOR EACH ROW WHEN ${counted('NEW')} EXECUTE FUNCTION call_cost_totals_apply()`);
      await db.raw(`CREATE TRIGGER call_cost_totals_update AFTER UPDATE OF ${WATCHED.join(', ')} ON calls FOR EACH ROW
        WHEN ((${counted('OLD')} OR ${counted('NEW')}) AND (${changed})) EXECUTE FUNCTION call_cost_totals_apply()`);
      await db.raw(`CREATE TRIGGER call_cost_totals_delete AFTER DELETE ON calls FOR EACH ROW WHEN ${counted('OLD')} EXECUTE FUNCTION call_cost_totals_apply()`);
    } else {
      await db.raw(`CREATE TRIGGER call_cost_totals_insert AFTER INSERT ON calls WHEN ${counted('NEW')} BEGIN ${applySql('NEW', 1)}; END`);
      await db.raw(`CREATE TRIGGER call_cost_totals_update AFTER UPDATE OF ${WATCHED.join(', ')} ON calls
        WHEN (${counted('OLD')} OR ${counted('NEW')}) AND (${changed}) BEGIN ${applySql('OLD', -1)}; ${applySql('NEW', 1)}; END`);
      await db.raw(`CREATE TRIGGER call_cost_totals_delete AFTER DELETE ON calls WHEN ${counted('OLD')} BEGIN ${applySql('OLD', -1)}; END`);
    }
    // The calls stored so far, at the shape the shipped rules need.
    await rebuildCallCostTotals(db, DEFAULT_CALL_COST_SHAPE);
  },
  async down(db: Knex) {
    for (const name of ['call_cost_totals_insert', 'call_cost_totals_update', 'call_cost_totals_delete']) {
      await db.raw(db.client.config.client === 'pg' ? `DROP TRIGGER IF EXISTS ${name} ON calls` : `DROP TRIGGER IF EXISTS ${name}`);
    }
    if (db.client.config.client === 'pg') await db.raw('DROP FUNCTION IF EXISTS call_cost_totals_apply()');
    await db.schema.dropTableIfExists('call_cost_totals');
    await db.schema.dropTableIfExists('call_cost_increments');
    await db.schema.dropTableIfExists('call_cost_shape');
  },
};

