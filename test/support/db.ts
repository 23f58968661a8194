import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrateLatest, openDb, type Db } from '../../src/adapters/db/connection.ts';

/** A fresh migrated SQLite database in a temp file; `close()` removes it. */
export async function tempSqliteDb(): Promise<{ db: Db; url: string; close(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-test-'));
  const url = path.join(dir, 'test.sqlite');
  const db = openDb({ url });
  await migrateLatest(db);
  return {
    db,
    url,
    async close() {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The PostgreSQL lane's database (CI: trust auth on 127.0.0.1:5432, database `test`). */
export const TEST_PG_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
