import { importGuardContract } from '../../contracts/import-guard.contract.ts';
import { numberingContract } from '../../contracts/numbering.contract.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDb } from '../../../src/adapters/db/connection.ts';
import { tempSqliteDb } from '../../support/db.ts';

const TABLES = ['ported_snapshot_chunks', 'ported_snapshots', 'numbering_plan_ranges', 'numbering_plan_entries', 'numbering_plan_versions'];

numberingContract('SQLite', async () => {
  const t = await tempSqliteDb();
  return {
    db: t.db,
    async clean() {
      for (const table of TABLES) await t.db(table).delete();
    },
    close: () => t.close(),
  };
}, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-migrations-'));
  const db = openDb({ url: path.join(dir, 'empty.sqlite') });
  return {
    db,
    async close() {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

importGuardContract('SQLite', async () => {
  const t = await tempSqliteDb();
  return {
    db: t.db,
    async clean() {
      for (const table of TABLES) await t.db(table).delete();
    },
    close: () => t.close(),
  };
});
