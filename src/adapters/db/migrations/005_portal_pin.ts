import type { Knex } from 'knex';
import type { Migration } from './index.ts';

/**
 * The portal this connector is pinned to (member_id and the host of its REST endpoint): set by
 * the first install the OAuth server vouches for, kept across uninstalls, removed only by
 * `b24pbx portal reset`. One row at most (id is always 1), so two first installs cannot both pin.
 * A portal installed before pinning existed is pinned as it stands.
 */
export const portalPinMigration: Migration = {
  name: '005_portal_pin',
  async up(db: Knex) {
    await db.schema.createTable('b24_portal_pin', (t) => {
      t.integer('id').primary();
      t.string('member_id', 64).notNullable();
      t.string('host', 255).notNullable();
      t.bigInteger('pinned_at').notNullable();
    });
    const installed = await db('b24_portal').orderBy('installed_at', 'desc').first<{ member_id: string; client_endpoint: string; installed_at: number | string } | undefined>();
    if (installed) {
      await db('b24_portal_pin').insert({ id: 1, member_id: installed.member_id, host: new URL(installed.client_endpoint).host.toLowerCase(), pinned_at: Number(installed.installed_at) });
    }
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('b24_portal_pin');
  },
};
