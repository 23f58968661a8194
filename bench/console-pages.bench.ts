// Console pages' server time with many stored calls, on SQLite (the default database) and — when
// BENCH_PG_URL (or WEBHOOK_PG_URL) names a PostgreSQL server — on PostgreSQL, in a database of its
// own. Calls are generated in the database itself, spread over 30 days; 1 in 30 started today; 2 in
// 5 answered and priced, so the savings page has a month of costs to add up.
// Each page is requested over real HTTP from this process, signed in; the figure is the median and
// the worst of the runs, and the CPU time per request (steadier than wall time on a busy machine). Baseline in the same run: GET /healthz (no database, no page).
// CONSOLE_BENCH_CALLS sets the number of calls (default 200000).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import knexFactory from 'knex';
import { migrateLatest, openDb, type Db } from '../src/adapters/db/connection.ts';
import { DEFAULT_CALL_COST_SHAPE, rebuildCallCostTotals } from '../src/adapters/db/call-cost-totals.ts';
import { startConsole, signIn } from '../test/support/console.ts';
import { tempSqliteDb } from '../test/support/db.ts';
import { benchRules } from './savings.bench.ts';

const CALLS = Number(process.env.CONSOLE_BENCH_CALLS ?? 200_000);
const RUNS = 15;
const DAY = 86_400_000;

/** One call per n in 1..CALLS: outcome, trunk, user and destination vary with n; answered calls have a cost. */
function callsSql(pg: boolean, now: number): string {
  const digits = pg ? `lpad(((n * 7919) % 1000000000)::text, 9, '0')` : `printf('%09d', n * 7919 % 1000000000)`;
  const answered = '(n % 5 >= 3)';
  const duration = `(1 + n % 300)`;
  const carrier = `CASE n % 4 WHEN 0 THEN 'mts' WHEN 1 THEN 'beeline' WHEN 2 THEN NULL ELSE 'megafon' END`;
  const select = `SELECT 'call-' || n, 'phone', CAST(n % 7 + 1 AS TEXT), NULL, '+79' || ${digits}, '+79' || ${digits}, 'ended',
    CASE n % 5 WHEN 0 THEN '486' WHEN 1 THEN '304' WHEN 2 THEN '503' ELSE '200' END,
    CASE n % 4 WHEN 0 THEN 'gsm-mts' WHEN 1 THEN 'gsm-beeline' WHEN 2 THEN 'sip-zorra' ELSE 'gsm-megafon' END,
    ${now} - (n * ${30 * DAY} / ${CALLS}), ${now} - (n * ${30 * DAY} / ${CALLS}) + 60000,
    CASE WHEN ${answered} THEN ${duration} ELSE 0 END, CASE WHEN ${answered} THEN ${duration} * 250 ELSE NULL END,
    ${carrier}, ${carrier}, 'RU', CASE n % 3 WHEN 0 THEN '20' ELSE '10' END, 'done', ${now}`;
  const columns = `id, origin, user_id, extension, number, number_e164, state, status_code, trunk_id, started_at, ended_at, duration_sec, cost_units,
    dest_carrier, dest_on_net, dest_country, department_id, crm_handoff, updated_at`;
  return pg
    ? `INSERT INTO calls (${columns}) ${select} FROM generate_series(1::bigint, ${CALLS}::bigint) AS n`
    : `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ${CALLS}) INSERT INTO calls (${columns}) ${select} FROM seq`;
}

async function measure(label: string, database: { readonly db: Db; close(): Promise<void> }, pg: boolean): Promise<void> {
  const h = await startConsole({ database, savingsRules: benchRules() });
  const now = Date.now();
  const fill = performance.now();
  // PostgreSQL: the totals' row triggers would cost an upsert per call of this one statement; the
  // calls go in without them and the totals are built in one pass, as migration 021 does.
  const triggers = ['call_cost_totals_insert', 'call_cost_totals_update', 'call_cost_totals_delete'];
  if (pg) for (const name of triggers) await h.db.raw(`ALTER TABLE calls DISABLE TRIGGER ${name}`);
  await h.db.raw(callsSql(pg, now));
  if (pg) {
    for (const name of triggers) await h.db.raw(`ALTER TABLE calls ENABLE TRIGGER ${name}`);
    await rebuildCallCostTotals(h.db, DEFAULT_CALL_COST_SHAPE);
  }
  await h.db.raw(`
    INSERT INTO call_attempts (call_id, attempt_no, plan_index, trunk_id, dial, dial_status, hangup_cause, decision, outcome_source, started_at, ended_at)
    SELECT id, 1, 0, trunk_id, 'PJSIP/' || number || '@' || trunk_id, 'ANSWER', 16, 'stop', 'agi', started_at, ended_at FROM calls`);
  // PostgreSQL's autovacuum would analyze the new rows; SQLite is left as a connector leaves it.
  if (pg) await h.db.raw('VACUUM ANALYZE');
  console.log(`${label}: stored ${CALLS} calls with one attempt each in ${((performance.now() - fill) / 1000).toFixed(1)} s`);

  const server = http.createServer(h.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { agent } = await signIn(h.app, 'viktor');
  // The agent's cookie jar, replayed on plain fetch against the listening server.
  const jar = (agent as unknown as { jar: { getCookies(o: unknown): { toValueString(): string } } }).jar;
  const cookie = jar.getCookies({ domain: '127.0.0.1', path: '/console', secure: false, script: false }).toValueString();

  /** Wall times of RUNS requests, and the CPU time this process (server and client both) spent per request. */
  async function time(path: string, withCookie: boolean): Promise<{ median: number; worst: number; cpu: number; bytes: number }> {
    const times: number[] = [];
    const cpuBefore = process.cpuUsage();
    let bytes = 0;
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      const res = await fetch(`${base}${path}`, { headers: withCookie ? { cookie } : {}, redirect: 'manual' });
      const body = await res.text();
      times.push(performance.now() - started);
      if (res.status >= 300 && path !== '/console/calls/none') throw new Error(`${path}: HTTP ${res.status}`);
      bytes = body.length;
    }
    const cpu = process.cpuUsage(cpuBefore);
    times.sort((a, b) => a - b);
    return { median: times[Math.floor(times.length / 2)]!, worst: times[times.length - 1]!, cpu: (cpu.user + cpu.system) / 1000 / RUNS, bytes };
  }

  const pages: [string, string, boolean][] = [
    ['baseline: /healthz', '/healthz', false],
    ['dashboard (today\'s calls counted 3 ways)', '/console/', true],
    ['call log, newest 200', '/console/calls', true],
    ['call log, by number digits', '/console/calls?number=926', true],
    ['call log, by user and day', `/console/calls?user=3&from=${new Date(now - 2 * DAY).toISOString().slice(0, 10)}`, true],
    ['call trace', `/console/calls/call-${Math.floor(CALLS / 2)}`, true],
    ['route simulator', '/console/route?user=1&number=89261234567', true],
    ['savings, last 30 days by carrier, 3 plots', '/console/savings', true],
  ];
  const cpu0 = process.cpuUsage();
  for (const [title, path, withCookie] of pages) {
    const r = await time(path, withCookie);
    console.log(`${label}: ${title.padEnd(44)} median ${r.median.toFixed(1).padStart(7)} ms   worst ${r.worst.toFixed(1).padStart(7)} ms   CPU ${r.cpu.toFixed(1).padStart(6)} ms/request   (${r.bytes} bytes)   load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  }
  const cpu = process.cpuUsage(cpu0);
  console.log(`${label}: CPU time of the page runs: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms (user ${(cpu.user / 1000).toFixed(0)}, system ${(cpu.system / 1000).toFixed(0)}); PostgreSQL's own time is not in it`);
  server.close();
  await h.close();
}

/** A database of its own on the PostgreSQL server, dropped afterwards. */
async function freshPg(serverUrl: string): Promise<{ readonly db: Db; close(): Promise<void> }> {
  const name = `b24pbx_bench_console_${process.pid}`;
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const adminDb = knexFactory({ client: 'pg', connection: admin.toString(), pool: { min: 0, max: 1 } });
  await adminDb.raw(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = openDb({ url: url.toString() });
  await migrateLatest(db);
  return {
    db,
    async close() {
      await db.destroy();
      await adminDb.raw(`drop database if exists ${name}`);
      await adminDb.destroy();
    },
  };
}

console.log(`console pages with ${CALLS.toLocaleString('en-US')} stored calls (target ≤ 300 ms); ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
await measure('SQLite', await tempSqliteDb(), false);
const pgServer = process.env.BENCH_PG_URL ?? process.env.WEBHOOK_PG_URL;
if (pgServer) await measure('PostgreSQL', await freshPg(pgServer), true);
else console.log('BENCH_PG_URL not set (e.g. postgres://postgres@127.0.0.1:5432/postgres): SQLite only');
