import type { Knex } from 'knex';
import type { Migration } from './index.ts';

/**
 * The auto-dialer: campaigns (settings as JSON: they are read whole), their operators, the leads
 * to call with when each is due next, one row per customer call, and the do-not-call list.
 * Due leads are read by (campaign, status, next_at): the index serves the cycle's one query.
 */
export const dialerMigration: Migration = {
  name: '012_dialer',
  async up(db: Knex) {
    await db.schema.createTable('dialer_campaigns', (t) => {
      t.string('id', 64).primary();
      t.string('name', 200).notNullable();
      t.string('status', 16).notNullable();
      t.string('department', 64).notNullable();
      t.text('settings').notNullable();
      t.text('source').nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
    });
    await db.schema.createTable('dialer_operators', (t) => {
      t.string('id', 64).primary();
      t.string('name', 200).nullable();
      t.string('dial', 255).notNullable();
      t.string('state_device', 255).notNullable();
      t.boolean('online').notNullable().defaultTo(false);
      // The customer call this operator is held for (set and cleared atomically by the dialer).
      t.string('call_id', 128).nullable();
      t.string('offline_reason', 255).nullable();
      t.bigInteger('updated_at').notNullable();
    });
    await db.schema.createTable('dialer_campaign_operators', (t) => {
      t.string('campaign_id', 64).notNullable().references('id').inTable('dialer_campaigns').onDelete('CASCADE');
      t.string('operator_id', 64).notNullable();
      t.primary(['campaign_id', 'operator_id']);
    });
    await db.schema.createTable('dialer_leads', (t) => {
      t.bigIncrements('id').primary();
      t.string('campaign_id', 64).notNullable().references('id').inTable('dialer_campaigns').onDelete('CASCADE');
      t.string('number', 64).notNullable();
      t.string('digits', 16).notNullable();
      t.string('entity_type', 16).nullable();
      t.string('entity_id', 32).nullable();
      t.string('title', 255).nullable();
      // pending (waits for next_at) | calling | done | blocked
      t.string('status', 16).notNullable();
      t.bigInteger('next_at').notNullable();
      t.integer('attempts').notNullable().defaultTo(0);
      t.string('last_outcome', 16).nullable();
      t.boolean('reserve_operator').notNullable().defaultTo(false);
      t.string('note', 255).nullable();
      t.unique(['campaign_id', 'digits'], { indexName: 'dialer_leads_campaign_digits' });
      t.index(['campaign_id', 'status', 'next_at'], 'dialer_leads_due');
    });
    await db.schema.createTable('dialer_attempts', (t) => {
      t.bigIncrements('id').primary();
      t.bigInteger('lead_id').notNullable().references('id').inTable('dialer_leads').onDelete('CASCADE');
      t.string('campaign_id', 64).notNullable();
      t.string('operator_id', 64).nullable();
      t.string('call_id', 128).notNullable().unique();
      t.string('mode', 16).notNullable();
      t.bigInteger('started_at').notNullable();
      t.bigInteger('answered_at').nullable();
      t.bigInteger('ended_at').nullable();
      t.string('outcome', 16).nullable();
      t.string('dial_status', 32).nullable();
      t.integer('hangup_cause').nullable();
      t.index(['lead_id'], 'dialer_attempts_lead');
    });
    await db.schema.createTable('dialer_dnc', (t) => {
      t.string('digits', 16).notNullable();
      t.string('kind', 8).notNullable();
      t.string('note', 255).nullable();
      t.bigInteger('created_at').notNullable();
      t.primary(['digits', 'kind']);
    });
  },
  async down(db: Knex) {
    for (const table of ['dialer_dnc', 'dialer_attempts', 'dialer_leads', 'dialer_campaign_operators', 'dialer_operators', 'dialer_campaigns']) {
      await db.schema.dropTableIfExists(table);
    }
  },
};
