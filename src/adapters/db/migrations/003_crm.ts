import type { Knex } from 'knex';
import type { Migration } from './index.ts';

/**
 * The Bitrix24 side: the installed portal (tokens), the durable outbox of CRM writes, the
 * received events (persisted before the reply), the synced user/department directory and the
 * external lines this connector published.
 */
export const crmMigration: Migration = {
  name: '003_crm',
  async up(db: Knex) {
    await db.schema.createTable('b24_portal', (t) => {
      t.string('member_id', 64).primary();
      t.string('domain', 255).notNullable();
      t.text('client_endpoint').notNullable();
      t.text('server_endpoint').notNullable();
      t.text('access_token').notNullable();
      t.text('refresh_token').notNullable();
      // Unix seconds at which the access token expires.
      t.bigInteger('expires').notNullable();
      t.integer('expires_in').notNullable();
      t.text('application_token').notNullable();
      t.text('scope').notNullable().defaultTo('');
      t.string('status', 8).notNullable().defaultTo('L');
      t.string('user_id', 32).notNullable().defaultTo('');
      t.bigInteger('installed_at').notNullable();
      t.bigInteger('updated_at').notNullable();
    });

    await db.schema.createTable('crm_outbox', (t) => {
      t.bigIncrements('id').primary();
      t.string('dedupe_key', 255).notNullable().unique();
      t.string('method', 100).notNullable();
      t.text('params').notNullable();
      t.bigInteger('depends_on').nullable();
      // JSON { PARAM: resultField }: params filled from the predecessor's result when sent.
      t.text('inject').nullable();
      t.string('state', 16).notNullable();
      t.integer('attempts').notNullable().defaultTo(0);
      t.bigInteger('next_attempt_at').notNullable();
      t.string('claimed_by', 100).nullable();
      t.bigInteger('claimed_until').nullable();
      t.text('last_error').nullable();
      t.text('result').nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.index(['state', 'next_attempt_at'], 'crm_outbox_due');
      t.index(['depends_on'], 'crm_outbox_depends_on');
    });

    await db.schema.createTable('crm_events', (t) => {
      t.bigIncrements('id').primary();
      t.string('event', 64).notNullable();
      // CALL_ID for ONEXTERNALCALLSTART; a digest of the body for events without one.
      t.string('event_key', 255).notNullable();
      // The event's data[...] only: auth (tokens) is never stored here.
      t.text('data').notNullable();
      t.bigInteger('ts').nullable();
      t.string('state', 16).notNullable();
      t.integer('attempts').notNullable().defaultTo(0);
      t.text('outcome').nullable();
      t.bigInteger('received_at').notNullable();
      t.bigInteger('processed_at').nullable();
      t.unique(['event', 'event_key'], { indexName: 'crm_events_unique' });
      t.index(['state'], 'crm_events_state');
    });

    await db.schema.createTable('b24_departments', (t) => {
      t.string('id', 32).primary();
      t.text('name').notNullable();
      t.string('parent', 32).nullable();
      t.bigInteger('synced_at').notNullable();
    });

    await db.schema.createTable('b24_users', (t) => {
      t.string('id', 32).primary();
      t.text('name').nullable();
      t.string('extension', 32).nullable();
      // JSON array of department ids (UF_DEPARTMENT).
      t.text('departments').notNullable();
      t.boolean('active').notNullable().defaultTo(true);
      t.bigInteger('synced_at').notNullable();
      t.index(['extension'], 'b24_users_extension');
    });

    await db.schema.createTable('b24_lines', (t) => {
      t.string('number', 64).primary();
      t.text('name').notNullable();
      t.string('trunk_id', 100).nullable();
      t.bigInteger('created_at').notNullable();
    });
  },
  async down(db: Knex) {
    for (const table of ['b24_lines', 'b24_users', 'b24_departments', 'crm_events', 'crm_outbox', 'b24_portal']) {
      await db.schema.dropTableIfExists(table);
    }
  },
};
