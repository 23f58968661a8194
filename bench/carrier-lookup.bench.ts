// Carrier lookups per second on the real current DEF-9xx.csv (or the generated sample when
// ../shared is absent): the in-memory index against an SQL BETWEEN lookup in SQLite on the same
// data, as most tools do it. Only the lookups are timed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrateLatest, openDb } from '../src/adapters/db/connection.ts';
import { loadCarrierMapping } from '../src/adapters/numbering-plan/carriers-config.ts';
import { importPlan } from '../src/app/numbering/import-plan.ts';
import { CarrierIndexStore } from '../src/app/numbering/carrier-index-store.ts';
import { NumberingPlanRepository } from '../src/adapters/db/repositories/numbering-plan-repository.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REAL = path.resolve(root, '../shared/data/numbering-plan/DEF-9xx.csv');
const SAMPLE = path.join(root, 'carrier-db/sample-DEF-9xx.csv');
const LOOKUPS = 4_000_000;
const SQL_LOOKUPS = 20_000;

export async function run(): Promise<void> {
  const real = fs.existsSync(REAL);
  const file = real ? REAL : SAMPLE;
  console.log(`carrier-lookup: data ${real ? 'real current DEF-9xx.csv' : 'generated sample (../shared is absent)'}: ${file}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-lookup-bench-'));
  const db = openDb({ url: path.join(dir, 'bench.sqlite') });
  try {
    await migrateLatest(db);
    const mapping = loadCarrierMapping(path.join(root, 'rules'));
    await importPlan({ db, files: [file], mapping, now: Date.now() });
    const store = new CarrierIndexStore({ db, loadMapping: () => mapping });
    let t = performance.now();
    await store.reload();
    console.log(`carrier-lookup: index built from the database in ${((performance.now() - t) / 1000).toFixed(2)} s (${store.state().ranges.toLocaleString('en-US')} ranges)`);

    // Random numbers inside covered codes (a deterministic generator: the same run every time).
    const plan = (await new NumberingPlanRepository(db).loadActive())!;
    const codes = [...new Set(plan.ranges.map((r) => r.code))];
    let seed = 12345;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const numbers = Array.from({ length: LOOKUPS }, () => `7${codes[next(codes.length)]}${String(next(10_000_000)).padStart(7, '0')}`);

    const lookup = store.current();
    let found = 0;
    for (let i = 0; i < 200_000; i++) if (lookup.lookup(numbers[i]!).key !== null) found++; // warm-up
    found = 0;
    t = performance.now();
    for (let i = 0; i < numbers.length; i++) if (lookup.lookup(numbers[i]!).key !== null) found++;
    const memS = (performance.now() - t) / 1000;
    const memRate = numbers.length / memS;
    console.log(`carrier-lookup: in-memory index: ${(memRate / 1e6).toFixed(1)} M lookups/s on one core (${numbers.length.toLocaleString('en-US')} lookups, ${((found / numbers.length) * 100).toFixed(1)} % mapped; target ≥ 10 M/s)`);

    // The usual approach: a (code, from, to) table with an index, one BETWEEN query per number.
    await db.schema.createTable('bench_ranges', (tb) => {
      tb.integer('code');
      tb.integer('range_from');
      tb.integer('range_to');
      tb.text('operator');
      tb.index(['code', 'range_from', 'range_to']);
    });
    const rows = plan.ranges.map((r) => ({ code: r.code, range_from: r.from, range_to: r.to, operator: plan.entries[r.entry]!.operator }));
    for (let i = 0; i < rows.length; i += 200) await db('bench_ranges').insert(rows.slice(i, i + 200));
    t = performance.now();
    for (let i = 0; i < SQL_LOOKUPS; i++) {
      const d = numbers[i]!;
      await db('bench_ranges').select('operator').where('code', Number(d.slice(1, 4)))
        .andWhere('range_from', '<=', Number(d.slice(4))).andWhere('range_to', '>=', Number(d.slice(4))).first();
    }
    const sqlRate = SQL_LOOKUPS / ((performance.now() - t) / 1000);
    console.log(`carrier-lookup: SQL BETWEEN in SQLite (indexed): ${sqlRate.toFixed(0)} lookups/s (${SQL_LOOKUPS.toLocaleString('en-US')} lookups through knex)`);
    console.log(`carrier-lookup: in-memory / SQL = ${(memRate / sqlRate).toFixed(0)}×`);
  } finally {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
