import pg from 'pg';
import type { Db } from './connection.ts';

/** How many click batches may be committing at once, each on a connection of its own. */
export const CLICK_CONNECTIONS = 4;

const lanes = new WeakMap<Db, pg.Pool>();

/**
 * PostgreSQL connections only click batches use, beside the knex pool of everything else: a click
 * never waits for a connection behind the tracker's, the outbox's or the route writer's
 * statements, and its statement goes out without knex's query building. The connections stay open
 * while idle (the first click after a quiet hour pays no connect) and close with the database
 * (`db.destroy()`). One lane per database handle, however many intakes use it.
 */
export function clickConnections(db: Db): pg.Pool {
  const known = lanes.get(db);
  if (known) return known;
  const config = db.client.config.connection as string | pg.PoolConfig;
  const pool = new pg.Pool({
    ...(typeof config === 'string' ? { connectionString: config } : config),
    max: CLICK_CONNECTIONS,
    idleTimeoutMillis: 0,
  });
  // A connection that breaks while idle is dropped by the pool and opened again when needed.
  pool.on('error', () => undefined);
  lanes.set(db, pool);
  const client = db.client as { destroy(callback?: (err?: unknown) => void): Promise<void> };
  const destroy = client.destroy.bind(client);
  client.destroy = async (callback) => {
    lanes.delete(db);
    await pool.end().catch(() => undefined);
    return destroy(callback);
  };
  return pool;
}
