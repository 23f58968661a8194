import type { Knex } from 'knex';
import type { Migration } from './index.ts';

/**
 * The web console: its accounts (role admin or viewer, a scrypt password hash), their sessions
 * (only a SHA-256 of the cookie token is stored, with the session's CSRF token) and the audit log
 * of every change made through it (who, when, what).
 */
export const consoleMigration: Migration = {
  name: '014_console',
  async up(db: Knex) {
    await db.schema.createTable('console_users', (t) => {
      t.string('name', 64).primary();
      // admin | viewer
      t.string('role', 16).notNullable();
      t.text('password_hash').notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
    });
    await db.schema.createTable('console_sessions', (t) => {
      t.string('token_hash', 64).primary();
      t.string('user_name', 64).notNullable().references('name').inTable('console_users').onDelete('CASCADE');
      t.string('csrf_token', 64).notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('expires_at').notNullable();
      t.index(['expires_at'], 'console_sessions_expires');
    });
    await db.schema.createTable('console_audit', (t) => {
      t.bigIncrements('id').primary();
      t.bigInteger('at').notNullable();
      // The account name (kept as text: the log outlives a deleted account).
      t.string('user_name', 64).notNullable();
      t.string('action', 64).notNullable();
      t.text('target').nullable();
      t.text('detail').nullable();
      t.index(['at'], 'console_audit_at');
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('console_audit');
    await db.schema.dropTableIfExists('console_sessions');
    await db.schema.dropTableIfExists('console_users');
  },
};
