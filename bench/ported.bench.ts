// Ported numbers at full scale: generates an 8-million-row Port_All file at run time, imports it
// into a fresh SQLite database (parse, build the compact set, store the snapshot), then loads the
// snapshot into the lookup index the way a starting connector does. Prints times and memory.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrateLatest, openDb } from '../src/adapters/db/connection.ts';
import { loadCarrierMapping } from '../src/adapters/numbering-plan/carriers-config.ts';
import { importPorted } from '../src/app/numbering/import-ported.ts';
import { CarrierIndexStore } from '../src/app/numbering/carrier-index-store.ts';
import { forceGc } from './support/gc.ts';

const ROWS = Number(process.env.PORTED_BENCH_ROWS ?? 8_000_000);
const OWNERS: readonly (readonly [string, string, number])[] = [
  // owner id, MNC, share
  ['mMTS', '01', 0.3], ['mMEGAFON', '02', 0.25], ['mBEELINE', '99', 0.2], ['mTELE2', '20', 0.2],
  ['mYOTA', '11', 0.03], ['mSBERTEL', '35', 0.015], ['mVENDORX', '77', 0.005],
];

/** Unique, scattered 10-digit numbers in 900–999: i × an odd multiplier not divisible by 5, mod 10^9. */
function numberAt(i: number): number {
  return 9_000_000_000 + ((i * 48_271) % 1_000_000_000);
}

function generate(file: string, rows: number): void {
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, 'Number,OwnerId,MNC,Route,RegionCode,PortDate,RowCount\n');
  const cumulative: number[] = [];
  let acc = 0;
  for (const [, , share] of OWNERS) cumulative.push((acc += share));
  let lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const u = ((i * 2_654_435_761) % 4_294_967_296) / 4_294_967_296;
    const o = OWNERS[Math.max(0, cumulative.findIndex((c) => u < c))] ?? OWNERS[0]!;
    const region = 10 + (i % 80);
    lines.push(`${numberAt(i)},${o[0]},${o[1]},D${o[1]}${region},${region},2019-05-01T12:00:00,${i === 0 ? rows : ''}`);
    if (lines.length === 100_000) {
      fs.writeSync(fd, `${lines.join('\n')}\n`);
      lines = [];
    }
  }
  if (lines.length) fs.writeSync(fd, lines.join('\n'));
  fs.closeSync(fd);
}

const mb = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MB`;

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-ported-bench-'));
  try {
    const file = path.join(dir, 'Port_All_202601010000_1.csv');
    let t = performance.now();
    // In a child process, so the generator's garbage does not blur this process's memory figures.
    execFileSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--generate', file, String(ROWS)], { stdio: 'inherit' });
    console.log(`ported: generated ${ROWS.toLocaleString('en-US')} rows (${mb(fs.statSync(file).size)}) in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const db = openDb({ url: path.join(dir, 'bench.sqlite') });
    await migrateLatest(db);
    const rulesDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../rules');
    const mapping = loadCarrierMapping(rulesDir);
    forceGc();
    const base = process.memoryUsage();

    t = performance.now();
    const summary = await importPorted({ db, file, mapping, now: Date.now() });
    const importS = (performance.now() - t) / 1000;
    console.log(`ported: import (parse + sort + store snapshot of ${mb(summary.snapshot.bytes)}): ${importS.toFixed(2)} s, ${summary.numbers.toLocaleString('en-US')} numbers, unknown owners: ${summary.unknownOwners.map((u) => `${u.owner} ${u.numbers}`).join(', ') || 'none'}`);
    forceGc();
    const afterImport = process.memoryUsage();
    console.log(`ported: resident after import and GC: +${mb(afterImport.rss - base.rss)} (heapUsed + arrayBuffers +${mb(afterImport.heapUsed + afterImport.arrayBuffers - base.heapUsed - base.arrayBuffers)})`);

    console.log(`ported: peak resident memory of the importing process: ${mb(process.resourceUsage().maxRSS * 1024)} (${mb(process.resourceUsage().maxRSS * 1024 - base.rss)} above its start)`);
    await db.destroy();
    // A starting connector only loads the snapshot: measure that in a fresh process, so the
    // import's freed-but-retained pages do not count.
    execFileSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--load', path.join(dir, 'bench.sqlite'), String(ROWS)], { stdio: 'inherit' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Child process: load the stored snapshot into a CarrierIndexStore, print time, memory, lookup rate. */
async function load(dbFile: string, rows: number): Promise<void> {
  const db = openDb({ url: dbFile });
  await migrateLatest(db);
  const rulesDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../rules');
  const mapping = loadCarrierMapping(rulesDir);
  const store = new CarrierIndexStore({ db, loadMapping: () => mapping });
  // Warm the code paths on an empty index, so the baseline includes the loaded modules.
  store.current().lookup('79261234567');
  forceGc();
  const base = process.memoryUsage();
  const t = performance.now();
  await store.reload();
  const loadS = (performance.now() - t) / 1000;
  forceGc();
  const loaded = process.memoryUsage();
  console.log(`ported: load snapshot into the lookup index (fresh process): ${loadS.toFixed(2)} s (${store.state().portedNumbers.toLocaleString('en-US')} numbers)`);
  console.log(`ported: added resident memory with the index loaded, after GC: ${mb(loaded.rss - base.rss)} (target ≤ 200 MB; heapUsed + arrayBuffers +${mb(loaded.heapUsed + loaded.arrayBuffers - base.heapUsed - base.arrayBuffers)})`);
  const probe = Array.from({ length: 2_000_000 }, (_, i) => `7${numberAt((i * 7) % rows)}`);
  const miss = Array.from({ length: 2_000_000 }, (_, i) => `7${numberAt(rows + i)}`);
  const lookup = store.current();
  for (const [label, list] of [['ported numbers', probe], ['numbers not ported', miss]] as const) {
    let hits = 0;
    const t0 = performance.now();
    for (const d of list) if (lookup.lookup(d).source === 'ported') hits++;
    const s = (performance.now() - t0) / 1000;
    console.log(`ported: ${(list.length / s / 1e6).toFixed(1)} M lookups/s on ${label} (${hits.toLocaleString('en-US')} of ${list.length.toLocaleString('en-US')} found ported)`);
  }
  await db.destroy();
}

if (process.argv[2] === '--load') await load(process.argv[3]!, Number(process.argv[4]));
else if (process.argv[2] === '--generate') generate(process.argv[3]!, Number(process.argv[4]));
else if (import.meta.url === `file://${process.argv[1]}`) await run();
