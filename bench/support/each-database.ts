import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDb, type Db } from '../../src/adapters/db/connection.ts';

/**
 * Runs a bench on a fresh SQLite file, then on PostgreSQL when BENCH_PG_URL names a database of
 * its own; each database is closed (and the SQLite file removed) after its run.
 */
export async function onEachDatabase(name: string, runOn: (title: string, db: Db) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `b24pbx-bench-${name}-`));
  const sqlite = openDb({ url: path.join(dir, `${name}.sqlite`) });
  try {
    await runOn('SQLite', sqlite);
  } finally {
    await sqlite.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  if (!process.env.BENCH_PG_URL) {
    console.log('(PostgreSQL: set BENCH_PG_URL to a database of its own)');
    return;
  }
  const pg = openDb({ url: process.env.BENCH_PG_URL });
  try {
    await runOn('PostgreSQL', pg);
  } finally {
    await pg.destroy();
  }
}
