import type { Knex } from 'knex';
import type { Migration } from './index.ts';

/**
 * The CRM card of each inbound call in progress (who has it shown, who it is assigned to, who
 * answered), stored between the call's events so that a call whose steps reach several instances,
 * or an instance restarted mid-call, still hides every card and finishes the call. One row per
 * call, deleted when the call ends.
 */
export const inboundCardsMigration: Migration = {
  name: '020_inbound_cards',
  async up(db: Knex) {
    await db.schema.createTable('inbound_cards', (t) => {
      t.string('linkedid', 64).primary();
      // The card as JSON (CardSnapshot).
      t.text('card').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.index(['updated_at'], 'inbound_cards_updated');
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('inbound_cards');
  },
};
