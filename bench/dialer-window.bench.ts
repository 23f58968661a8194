// What predictive pacing reads from the database, on a campaign with 30 days of calls (the (b) floor
// of `pacing`: 20 operators, ~19,500 calls a day, 25 % answered, 2.5 % of those dropped):
// 1. the abandoned-rate window's counts, read again every 5 s while the campaign runs, over 24 h and
//    over 30 days (`abandonWindow: 30d`);
// 2. the history rebuilt when the dialer starts: the last 1,000 ended calls and 500 answered ones.
// Beside them, the baseline of the same run: one attempt read by its primary key.
// SQLite always; PostgreSQL too when BENCH_PG_URL names a database of its own (its tables are dropped).
import os from 'node:os';
import { isSqlite, migrateLatest, type Db } from '../src/adapters/db/connection.ts';
import { DialerRepository } from '../src/adapters/db/repositories/dialer-repository.ts';
import { onEachDatabase } from './support/each-database.ts';

const DAYS = Number(process.env.WINDOW_BENCH_DAYS ?? 30);
const CALLS_PER_DAY = Number(process.env.WINDOW_BENCH_CALLS_PER_DAY ?? 19_500);
const RUNS = 30;
const DAY_MS = 86_400_000;
const now = Date.UTC(2027, 2, 1, 12, 0);

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');

async function seed(db: Db): Promise<void> {
  await db('dialer_campaigns').insert([
    { id: 'big', name: 'big', status: 'running', department: '1', settings: '{}', created_at: 0, updated_at: 0 },
    { id: 'other', name: 'other', status: 'running', department: '1', settings: '{}', created_at: 0, updated_at: 0 },
  ]);
  const [big] = await db('dialer_leads').insert({ campaign_id: 'big', number: '+79160000001', digits: '79160000001', status: 'pending', next_at: 0 }).returning('id') as { id: number }[];
  const [other] = await db('dialer_leads').insert({ campaign_id: 'other', number: '+79160000002', digits: '79160000002', status: 'pending', next_at: 0 }).returning('id') as { id: number }[];
  // Two campaigns interleaved in time: the big one's rows are not contiguous on disk.
  const total = DAYS * CALLS_PER_DAY;
  const step = (DAYS * DAY_MS) / total;
  let batch: Record<string, unknown>[] = [];
  for (let i = 0; i < total; i++) {
    const started = now - DAYS * DAY_MS + Math.floor(i * step);
    const answered = i % 4 === 0;
    const dropped = answered && i % 160 === 0;
    const campaign = i % 3 === 2 ? 'other' : 'big';
    batch.push({
      lead_id: campaign === 'big' ? big!.id : other!.id, campaign_id: campaign, call_id: `bench-${i}`, mode: 'progressive',
      started_at: started, answered_at: answered ? started + 12_000 : null, ended_at: started + (answered ? 100_000 : 25_000),
      outcome: dropped ? 'abandoned' : answered ? 'answered' : 'no-answer', operator_id: answered && !dropped ? 'op1' : null,
    });
    if (batch.length === 500) {
      await db('dialer_attempts').insert(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await db('dialer_attempts').insert(batch);
  if (db.client.config.client === 'pg') await db.raw('analyze dialer_attempts');
  else await db.raw('analyze');
}

async function timed(label: string, fn: () => Promise<unknown>): Promise<string> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return `${label} p50 ${pct(times, 0.5).toFixed(2)} / p99 ${pct(times, 0.99).toFixed(2)} ms`;
}

async function runOn(title: string, db: Db): Promise<void> {
  if (!isSqlite(db)) await db.raw('drop schema public cascade; create schema public');
  await migrateLatest(db);
  const t0 = performance.now();
  await seed(db);
  const rows = (await db('dialer_attempts').where('campaign_id', 'big').count({ n: '*' }))[0]?.n;
  console.log(`${title}: ${DAYS} days, ${rows} attempts of the campaign (${DAYS * CALLS_PER_DAY} in all), seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s; load ${load()}`);
  const repo = new DialerRepository(db);
  const lines = [
    await timed('baseline, one attempt by id:', () => db('dialer_attempts').where('id', 12_345).first()),
    await timed('window counts, 24 h:', () => repo.abandonCounts('big', now - DAY_MS)),
    await timed(`window counts, ${DAYS} days:`, () => repo.abandonCounts('big', now - DAYS * DAY_MS)),
    await timed('history at start, 1,000 ended calls:', () => repo.recentEndedAttempts('big', 1000)),
    await timed('history at start, 500 answered:', () => repo.recentEndedAttempts('big', 500, 'answered')),
  ];
  for (const l of lines) console.log(`  ${l}`);
  console.log(`  (the window is read every 5 s per running campaign; load ${load()})`);
}

await onEachDatabase('window', runOn);
