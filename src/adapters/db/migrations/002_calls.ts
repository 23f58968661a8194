import type { Knex } from 'knex';
import type { Migration } from './index.ts';

/**
 * Outgoing calls: one row per call (its stored route plan, its final outcome and the CRM hand-off
 * state), one row per dial attempt (what the FastAGI route request answered and how it ended),
 * and the call tracker's in-flight state (so a restart in the middle of a call loses nothing).
 * Times are epoch milliseconds.
 */
export const callsMigration: Migration = {
  name: '002_calls',
  async up(db: Knex) {
    await db.schema.createTable('calls', (t) => {
      t.string('id', 160).primary();
      // Bitrix24 CALL_ID of a click-to-call; null for desk-phone calls.
      t.string('crm_call_id', 255).nullable().unique();
      // The uniqueid the route request arrives with (Originate ChannelId, or the desk phone's channel).
      t.string('channel_id', 160).nullable().unique();
      t.string('linkedid', 160).nullable();
      t.string('originate_action_id', 160).nullable();
      t.string('origin', 16).notNullable();
      t.string('user_id', 64).nullable();
      t.string('extension', 64).nullable();
      // As asked; number_e164 once normalised.
      t.string('number', 64).notNullable();
      t.string('number_e164', 32).nullable();
      t.string('line', 64).nullable();
      // planned → routing → stopped | ended
      t.string('state', 16).notNullable();
      // JSON: the plan computed once (DECISIONS §6).
      t.text('plan').nullable();
      t.string('refusal_code', 32).nullable();
      t.text('refusal_message').nullable();
      t.text('stop_reason').nullable();
      t.string('status_code', 8).nullable();
      t.text('failed_reason').nullable();
      t.string('trunk_id', 64).nullable();
      t.string('b24_line', 64).nullable();
      t.bigInteger('started_at').notNullable();
      t.bigInteger('answered_at').nullable();
      t.bigInteger('ended_at').nullable();
      t.integer('duration_sec').nullable();
      t.double('cost').nullable();
      t.text('recording').nullable();
      // JSON: what the tracker saw (channels, legs) for `calls show`.
      t.text('tracked').nullable();
      // none | pending | done: ended calls wait here until the CRM side took them (DECISIONS §19).
      t.string('crm_handoff', 8).notNullable().defaultTo('none');
      t.bigInteger('updated_at').notNullable();
      t.index(['linkedid'], 'calls_linkedid');
      t.index(['crm_handoff', 'ended_at'], 'calls_crm_handoff');
      t.index(['started_at'], 'calls_started_at');
    });

    await db.schema.createTable('call_attempts', (t) => {
      t.bigIncrements('id').primary();
      t.string('call_id', 160).notNullable().references('id').inTable('calls').onDelete('CASCADE');
      t.integer('attempt_no').notNullable();
      t.integer('plan_index').nullable();
      t.string('trunk_id', 64).nullable();
      t.text('dial').notNullable();
      t.string('caller_id', 32).nullable();
      t.string('tier', 16).nullable();
      t.double('per_minute').nullable();
      t.string('linkedid', 160).nullable();
      t.string('dial_status', 16).nullable();
      t.integer('hangup_cause').nullable();
      // rotate | stop, once the outcome is known.
      t.string('decision', 8).nullable();
      // agi (reported by the next route request) | ami (from the call's events) | failopen
      t.string('outcome_source', 8).nullable();
      t.bigInteger('started_at').notNullable();
      t.bigInteger('ended_at').nullable();
      t.unique(['call_id', 'attempt_no'], { indexName: 'call_attempts_call_attempt' });
      t.index(['linkedid'], 'call_attempts_linkedid');
    });

    await db.schema.createTable('call_tracking', (t) => {
      t.string('linkedid', 160).primary();
      t.text('state').notNullable();
      t.bigInteger('updated_at').notNullable();
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('call_tracking');
    await db.schema.dropTableIfExists('call_attempts');
    await db.schema.dropTableIfExists('calls');
  },
};
