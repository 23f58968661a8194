import type { Knex } from 'knex';

/** The parts of node-sqlite3's Database and Statement used here. */
interface RawStatement {
  run(params: readonly unknown[], callback: (this: { readonly changes: number }, err: Error | null) => void): unknown;
  finalize(callback?: (err: Error | null) => void): unknown;
}
interface RawDatabase {
  prepare(sql: string, callback: (err: Error | null) => void): RawStatement;
}
interface PoolClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
  destroyRawConnection(connection: unknown): Promise<void>;
}

/** Statements of one connection prepared once and run again and again, by SQL text. */
const prepared = new WeakMap<RawDatabase, Map<string, RawStatement>>();
/** A connection holds at most this many; the least recently used goes first. */
const MAX_PREPARED = 64;

/** Writes on SQLite's one connection without knex's query building: each statement is prepared once per connection. */
export interface DirectWrites {
  /** Resolves with the number of rows the statement changed. */
  run(sql: string, params: readonly unknown[]): Promise<number>;
}

function statementOf(conn: RawDatabase, sql: string): Promise<RawStatement> {
  let cache = prepared.get(conn);
  if (!cache) prepared.set(conn, (cache = new Map()));
  const known = cache.get(sql);
  if (known) {
    cache.delete(sql);
    cache.set(sql, known);
    return Promise.resolve(known);
  }
  return new Promise((resolve, reject) => {
    const stmt = conn.prepare(sql, (err) => {
      if (err) return reject(err);
      cache.set(sql, stmt);
      if (cache.size > MAX_PREPARED) {
        const [oldest, old] = cache.entries().next().value as [string, RawStatement];
        cache.delete(oldest);
        old.finalize();
      }
      resolve(stmt);
    });
  });
}

function runOn(conn: RawDatabase, sql: string, params: readonly unknown[]): Promise<number> {
  return statementOf(conn, sql).then((stmt) => new Promise<number>((resolve, reject) => {
    stmt.run(params, function done(err) {
      if (err) reject(err);
      else resolve(this.changes);
    });
  }));
}

/** BEGIN, COMMIT and ROLLBACK are prepared once too (node-sqlite3 prepares every `Database#run` anew). */
async function exec(conn: RawDatabase, sql: 'BEGIN' | 'COMMIT' | 'ROLLBACK'): Promise<void> {
  await runOn(conn, sql, []);
}

/**
 * Runs `work` in one transaction on SQLite's connection, taken through the pool (and its priority
 * gate) as knex's own transactions take it. For the hottest writes: knex builds and compiles every
 * statement anew and node-sqlite3 prepares it anew, which costs more CPU than SQLite's own work.
 */
export async function sqliteTransaction<T>(db: Knex, work: (w: DirectWrites) => Promise<T>): Promise<T> {
  const client = db.client as PoolClient;
  if (!hooked.has(client)) finalizeBeforeClose(client);
  const conn = (await client.acquireConnection()) as RawDatabase;
  try {
    await exec(conn, 'BEGIN');
    let out: T;
    try {
      out = await work({ run: (sql, params) => runOn(conn, sql, params) });
    } catch (err) {
      await exec(conn, 'ROLLBACK').catch(() => undefined);
      throw err;
    }
    try {
      await exec(conn, 'COMMIT');
    } catch (err) {
      await exec(conn, 'ROLLBACK').catch(() => undefined);
      throw err;
    }
    return out;
  } finally {
    await client.releaseConnection(conn);
  }
}

const hooked = new WeakSet<PoolClient>();

/** Prepared statements are finalized before their connection closes (SQLite refuses to close with any left). */
function finalizeBeforeClose(client: PoolClient): void {
  hooked.add(client);
  const destroy = client.destroyRawConnection.bind(client);
  client.destroyRawConnection = async (connection: unknown) => {
    const cache = prepared.get(connection as RawDatabase);
    if (cache) {
      prepared.delete(connection as RawDatabase);
      await Promise.all([...cache.values()].map((s) => new Promise<void>((resolve) => s.finalize(() => resolve()))));
    }
    return destroy(connection);
  };
}

/** `INSERT INTO table (columns) VALUES (?, …)` with identifiers quoted. */
export function insertSql(table: string, columns: readonly string[], conflict = ''): string {
  const id = (name: string): string => `"${name.replaceAll('"', '""')}"`;
  return `INSERT INTO ${id(table)} (${columns.map(id).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})${conflict}`;
}
