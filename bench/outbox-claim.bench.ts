// The outbox claim on a table that has piled up done rows: BENCH_DONE (default 130,000) done rows
// left by churn (each inserted pending, claimed, recorded done) and BENCH_OPEN (default 10,000)
// open ones (register/finish pairs, the finish waiting for its register), on SQLite and, with
// BENCH_PG_URL set, on PostgreSQL. Prints the claim's p50/p99 and the drain rate (writes/s) through
// a Bitrix24 stand-in answering at once, and through the client-side limiter of an Enterprise
// portal (5 requests/s, batches of 50) with the stand-in answering at once or in BENCH_PORTAL_MS
// (300), beside the claim query before migration 023 (an EXISTS on done rows) sent one round at a
// time, in the same run on the same table.
import os from 'node:os';
import type { Knex } from 'knex';
import { isSqlite, migrateLatest, type Db } from '../src/adapters/db/connection.ts';
import { onEachDatabase } from './support/each-database.ts';
import { OutboxRepository, type DueIdsQuery } from '../src/adapters/db/repositories/outbox-repository.ts';
import type { B24Gateway, BatchCommand, BatchOutcome, RestOutcome } from '../src/adapters/bitrix24/gateway.ts';
import { systemCrmClock } from '../src/app/crm/clock.ts';
import { OutboxWorker } from '../src/app/crm/outbox-worker.ts';
import { RequestRateLimiter } from '../src/app/crm/rate-limiter.ts';

const DONE = Number(process.env.BENCH_DONE ?? 130_000);
const OPEN = Number(process.env.BENCH_OPEN ?? 10_000);
const CLAIM_SECONDS = Number(process.env.BENCH_CLAIM_SECONDS ?? 12);
const DRAIN_SECONDS = Number(process.env.BENCH_DRAIN_SECONDS ?? 10);
/** How long the slower stand-in takes to answer a request (a portal's batch of 50 is not instant). */
const PORTAL_MS = Number(process.env.BENCH_PORTAL_MS ?? 300);
const LEASE_MS = 120_000;

/** The claim as it was before migration 023: due rows by crm_outbox_due, the predecessor by EXISTS. */
class ExistsClaimRepository extends OutboxRepository {
  protected override dueQuery(trx: Knex.Transaction, now: number, limit: number): DueIdsQuery {
    return trx('crm_outbox as o')
      .select('o.id')
      .where((w) => {
        w.where((p) => p.where('o.state', 'pending').andWhere('o.next_attempt_at', '<=', now))
          .orWhere((p) => p.where('o.state', 'inflight').andWhere('o.claimed_until', '<', now));
      })
      .andWhere((w) => {
        w.whereNull('o.depends_on').orWhereExists(function dependencyDone() {
          this.select(trx.raw('1')).from('crm_outbox as d').whereRaw('d.id = o.depends_on').andWhere('d.state', 'done');
        });
      })
      .orderBy('o.id')
      .limit(limit) as unknown as DueIdsQuery;
  }
}

/** Both claims as SQL, for their plans. */
function claimSql(repo: OutboxRepository, trx: Knex.Transaction, now: number): Knex.Sql {
  return (repo as unknown as { dueQuery(trx: Knex.Transaction, now: number, limit: number): DueIdsQuery }).dueQuery(trx, now, 50).toSQL();
}

/** Answers every write after `latencyMs` (0: at once); CALL_ID feeds the finishes. */
class BenchPortal implements B24Gateway {
  sent = 0;
  private onTarget: (() => void) | null = null;
  constructor(private readonly target: number, private readonly latencyMs: number) {}
  private answer(): Promise<void> {
    return new Promise((r) => (this.latencyMs > 0 ? setTimeout(r, this.latencyMs) : setImmediate(r)));
  }
  reached(): Promise<void> {
    return new Promise((resolve) => {
      this.onTarget = resolve;
    });
  }
  private count(n: number): void {
    this.sent += n;
    if (this.sent >= this.target) this.onTarget?.();
  }
  async call(): Promise<RestOutcome> {
    await this.answer();
    this.count(1);
    return { ok: true, result: { CALL_ID: 'externalCall.bench' }, more: false, total: 0 };
  }
  async batch(commands: readonly BatchCommand[]): Promise<BatchOutcome> {
    await this.answer();
    this.count(commands.length);
    const results = new Map<string, RestOutcome>();
    for (const c of commands) results.set(c.key, { ok: true, result: { CALL_ID: 'externalCall.bench' }, more: false, total: 0 });
    return { ok: true, results };
  }
}

const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
};

/**
 * Register/finish pairs in chunks of 500, each finish depending on its register; the first DONE
 * rows are claimed and recorded done (two updates each, as the worker does). Returns the first
 * open id.
 */
async function fill(db: Db): Promise<number> {
  const repo = new OutboxRepository(db);
  const t = Date.now() - 3_600_000;
  let firstOpen = 0;
  for (let n = 0; n < DONE + OPEN; n += 500) {
    const registers = await repo.enqueueMany(Array.from({ length: 250 }, (_, i) => ({ dedupeKey: `register:${n + i}`, method: 'telephony.externalcall.register', params: { USER_ID: 1, PHONE_NUMBER: '+79990001111', TYPE: 1 } })), t);
    const finishes = await repo.enqueueMany(registers.map((r, i) => ({ dedupeKey: `finish:${n + i}`, method: 'telephony.externalcall.finish', params: { USER_ID: 1, DURATION: 30 }, dependsOn: r.id, inject: { CALL_ID: 'CALL_ID' } })), t);
    const ids = [...registers, ...finishes].map((r) => r.id);
    if (n >= DONE) {
      firstOpen ||= Math.min(...ids);
      continue;
    }
    await db('crm_outbox').whereIn('id', ids).update({ state: 'inflight', claimed_by: 'fill', claimed_until: t + LEASE_MS, updated_at: t });
    await db('crm_outbox').whereIn('id', ids).update({ state: 'done', result: '{"CALL_ID":"externalCall.done"}', claimed_by: null, claimed_until: null, updated_at: t });
  }
  return firstOpen;
}

/** The open rows as filled: pending, due, unclaimed. */
async function reopen(db: Db, firstOpen: number): Promise<void> {
  await db('crm_outbox').where('id', '>=', firstOpen).update({ state: 'pending', attempts: 0, next_attempt_at: Date.now() - 1000, claimed_by: null, claimed_until: null, result: null, last_error: null });
}

async function plans(db: Db, repos: readonly { name: string; repo: OutboxRepository }[]): Promise<void> {
  for (const { name, repo } of repos) {
    await db.transaction(async (trx) => {
      const { sql, bindings } = claimSql(repo, trx, Date.now());
      const rows = (await trx.raw(`${isSqlite(db) ? 'explain query plan' : 'explain'} ${sql}`, bindings)) as unknown;
      const lines = isSqlite(db)
        ? (rows as { detail: string }[]).map((r) => r.detail)
        : (rows as { rows: { 'QUERY PLAN': string }[] }).rows.map((r) => r['QUERY PLAN']);
      console.log(`  plan ${name}: ${lines.map((l) => l.trim().replace(/\s+\(cost=[^)]*\)/, '')).join(' | ')}`);
    });
  }
}

async function claimTimes(db: Db, repos: readonly { name: string; repo: OutboxRepository }[]): Promise<void> {
  const times = new Map<string, number[]>(repos.map((r) => [r.name, []]));
  const firstIds = new Map<string, string>();
  const started = performance.now();
  while (performance.now() - started < CLAIM_SECONDS * 1000 || Math.min(...[...times.values()].map((t) => t.length)) < 5) {
    // Interleaved, so both see the same machine load and the same table.
    for (const { name, repo } of repos) {
      const t = performance.now();
      const claimed = await repo.claimDue(Date.now(), 50, 'bench', LEASE_MS);
      times.get(name)?.push(performance.now() - t);
      if (!firstIds.has(name)) firstIds.set(name, claimed.map((e) => e.id).join(','));
      await db('crm_outbox').whereIn('id', claimed.map((e) => e.id)).update({ state: 'pending', claimed_by: null, claimed_until: null });
    }
  }
  const same = new Set(firstIds.values()).size === 1;
  console.log(`  claim of 50, p50/p99 ms (${Math.min(...[...times.values()].map((t) => t.length))}+ claims each, interleaved; same entries claimed: ${same ? 'yes' : 'NO'}; load ${load()}):`);
  for (const [name, t] of times) console.log(`    ${name}: ${pct(t, 0.5).toFixed(1)} / ${pct(t, 0.99).toFixed(1)}`);
}

/** Writes per second through a worker until the open rows are sent or DRAIN_SECONDS pass. */
async function drainRate(db: Db, firstOpen: number, repo: OutboxRepository, rounds: number, limited: boolean, latencyMs: number): Promise<number> {
  await reopen(db, firstOpen);
  const portal = new BenchPortal(OPEN, latencyMs);
  const limiter = limited ? new RequestRateLimiter(systemCrmClock, 250, 5) : new RequestRateLimiter(systemCrmClock, 1e9, 1e9);
  // Limited: the steady 5 requests/s, not the burst of 250 (the soak's portal has spent it).
  if (limited) limiter.exhausted();
  const worker = new OutboxWorker({ repo, gateway: portal, clock: systemCrmClock, limiter, recordings: null, maxAttempts: 5, batchSize: 50, roundsInFlight: rounds, leaseMs: LEASE_MS });
  const started = performance.now();
  worker.start(200);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([portal.reached(), new Promise((r) => { timer = setTimeout(r, DRAIN_SECONDS * 1000); })]);
  clearTimeout(timer);
  const rate = portal.sent / ((performance.now() - started) / 1000);
  await worker.stop();
  return rate;
}

async function runOn(label: string, db: Db): Promise<void> {
  await migrateLatest(db);
  if (!isSqlite(db)) await db.raw('truncate crm_outbox restart identity');
  const t = performance.now();
  const firstOpen = await fill(db);
  // Statistics as autovacuum keeps them; the churned index is left as it is (no VACUUM).
  if (!isSqlite(db)) await db.raw('analyze crm_outbox');
  console.log(`outbox claim, ${label}: ${DONE} done + ${OPEN} open rows (filled in ${((performance.now() - t) / 1000).toFixed(0)} s; load ${load()})`);
  const repos = [
    { name: 'before (EXISTS over done rows)', repo: new ExistsClaimRepository(db) },
    { name: 'now (open rows in id order)   ', repo: new OutboxRepository(db) },
  ];
  // The oldest open entries are finishes whose register is done, as in a running connector: the
  // claim has to look at their predecessors.
  const registers = (await db('crm_outbox').where('id', '>=', firstOpen).whereNull('depends_on').orderBy('id').limit(250).select('id')) as { id: number | string }[];
  await db('crm_outbox').whereIn('id', registers.map((r) => Number(r.id))).update({ state: 'done', result: '{"CALL_ID":"externalCall.done"}' });
  await plans(db, repos);
  await claimTimes(db, repos);
  const modes = [
    { title: 'portal answering at once, no limit', limited: false, latencyMs: 0 },
    { title: 'limiter 5 requests/s, batches of 50 (at most 250/s), portal answering at once', limited: true, latencyMs: 0 },
    { title: `limiter 5 requests/s, batches of 50, portal answering in ${PORTAL_MS} ms`, limited: true, latencyMs: PORTAL_MS },
  ];
  for (const { title, limited, latencyMs } of modes) {
    const figures: string[] = [];
    for (const [name, repo, rounds] of [['before, 1 round', repos[0]?.repo, 1], ['now, 1 round', repos[1]?.repo, 1], ['now, 3 rounds', repos[1]?.repo, 3]] as const) {
      figures.push(`${name} ${(await drainRate(db, firstOpen, repo as OutboxRepository, rounds, limited, latencyMs)).toFixed(0)}`);
    }
    console.log(`  drain writes/s, ${title}: ${figures.join(' · ')} (load ${load()})`);
  }
}

await onEachDatabase('claim', runOn);
