import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { migrationSource, registerMigrations } from './migrations/index.ts';
import { prioritizeConnection } from './priority-lane.ts';

export type Db = Knex;

export interface DbConfig {
  /** `postgres://…` for PostgreSQL; a file path, `sqlite:PATH` or `:memory:` for SQLite. */
  readonly url: string;
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

export function sqliteFile(url: string): string {
  if (url === ':memory:') return url;
  return url.replace(/^sqlite:(\/\/)?/i, '');
}

/**
 * Opens the database: SQLite by default (one file, created on first use), PostgreSQL when
 * DATABASE_URL is a postgres:// URL (several connector instances can share it).
 */
export function openDb(config: DbConfig): Db {
  if (isPostgresUrl(config.url)) {
    return knexFactory({ client: 'pg', connection: config.url, pool: { min: 0, max: 10 } });
  }
  const filename = sqliteFile(config.url);
  if (filename !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(filename)), { recursive: true });
  const db = knexFactory({
    client: 'sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    // One connection: SQLite serialises writers anyway, and a single connection keeps
    // transactions and :memory: databases coherent.
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: { run(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) {
        conn.run('PRAGMA foreign_keys = ON', (e1) => {
          if (e1) return done(e1, conn);
          conn.run('PRAGMA journal_mode = WAL', (e2) => {
            if (e2) return done(e2, conn);
            conn.run('PRAGMA busy_timeout = 5000', (e3) => {
              if (e3) return done(e3, conn);
              conn.run('PRAGMA synchronous = NORMAL', (e4) => done(e4, conn));
            });
          });
        });
      },
    },
  });
  prioritizeConnection(db);
  return db;
}

export async function migrateLatest(db: Db): Promise<void> {
  await db.migrate.latest({ migrationSource });
}

/**
 * Migrates only when a migration has not run yet. Knex's migrator takes a lock and checks its
 * tables on every call; a cold CLI command or a start on an up-to-date database needs one select.
 */
export async function ensureMigrated(db: Db): Promise<void> {
  const done = await db('knex_migrations').select('name').then(
    (rows: { name: string }[]) => new Set(rows.map((r) => r.name)),
    // No migrations table yet: a new database.
    () => new Set<string>(),
  );
  if (registerMigrations().every((m) => done.has(m.name))) return;
  await migrateLatest(db);
}

export async function migrateRollbackAll(db: Db): Promise<void> {
  await db.migrate.rollback({ migrationSource }, true);
}

export function isSqlite(db: Db): boolean {
  return db.client.config.client === 'sqlite3';
}
