// Import time of each real registry file into a fresh SQLite database (or of the generated
// sample when ../shared is absent). Targets: current DEF (17k rows) ≤ 0.5 s, 2014 DEF (66k) ≤ 1 s.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrateLatest, openDb } from '../src/adapters/db/connection.ts';
import { loadCarrierMapping } from '../src/adapters/numbering-plan/carriers-config.ts';
import { importPlan } from '../src/app/numbering/import-plan.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SHARED = path.resolve(root, '../shared/data/numbering-plan');
const REAL_FILES = [
  'DEF-9xx.csv',
  'legacy/DEF-9xx.2023-01-12.7col.excel-resaved.csv',
  'legacy/DEF-9xx.2020-11-06.6col.csv',
  'legacy/Kody_DEF-9kh.2014-11-18.cp1251.csv',
  'legacy/Kody_ABC-3kh.2014-11-18.cp1251.csv',
  'legacy/Kody_ABC-8kh.2014-11-18.cp1251.csv',
];

export async function run(): Promise<void> {
  const real = fs.existsSync(SHARED);
  const files = real ? REAL_FILES.map((f) => path.join(SHARED, f)) : [path.join(root, 'carrier-db/sample-DEF-9xx.csv')];
  if (!real) console.log('numbering-import: ../shared is absent: timing the generated sample only');
  const mapping = loadCarrierMapping(path.join(root, 'rules'));
  for (const file of files) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-import-bench-'));
    const db = openDb({ url: path.join(dir, 'bench.sqlite') });
    try {
      await migrateLatest(db);
      const t = performance.now();
      const summary = await importPlan({ db, files: [file], mapping, now: Date.now() });
      const s = (performance.now() - t) / 1000;
      console.log(`numbering-import: ${path.relative(SHARED, file) || file}: ${summary.rows.toLocaleString('en-US')} rows in ${s.toFixed(3)} s (${Math.round(summary.rows / s).toLocaleString('en-US')} rows/s, ${(fs.statSync(file).size / 1048576 / s).toFixed(1)} MB/s)`);
    } finally {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
