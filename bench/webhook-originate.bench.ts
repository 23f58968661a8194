// Webhook → AMI Originate sent: from Bitrix24 posting ONEXTERNALCALLSTART to the connector handing
// the Originate to its AMI client, at paced 50, 100 and 200 clicks/s (target p99 <= 25 ms at 200/s),
// on SQLite and — when WEBHOOK_PG_URL names a PostgreSQL server — on PostgreSQL in the same run
// (a fresh database created for the run and dropped after it), printed side by side. Each click's
// event and call are committed in one transaction before its Originate, on both. The connector
// runs here with its real HTTP, FastAGI, AMI client, tracker and outbox; the PBX and Bitrix24
// doubles and the load run in a child process (as the real PBX and portal are other machines).
// Calls are answered busy at once so every call also ends, is tracked and queued for the CRM
// while the load runs. Each database gets a short unmeasured warm-up (WEBHOOK_WARMUP_SECONDS).
// WEBHOOK_SQLITE=0 leaves SQLite out (PostgreSQL alone, for comparing changes on it).
// Baseline of the same run: one single-row commit on the same database and settings, with nothing
// else running — no click can be stored faster than that. Below the table, per round: the
// connector's event-loop delay and GC pauses, and CPU ms per click of the connector, the doubles
// and the PostgreSQL backends: until the round's last Originate, and through the calls' ends and
// CRM writes (the next round starts once they are done).
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import knexFactory from 'knex';
import { openDb } from '../src/adapters/db/connection.ts';
import { silentLogger } from '../src/adapters/logging/logger.ts';
import { listenHttp, startConnector } from '../src/composition/connector.ts';
import { loadEnv } from '../src/config/env.ts';
import type { DoublesReady, LoadDone } from './support/doubles-process.ts';
import { measureIdle, startRound } from './support/round-diagnostics.ts';

const RATES = (process.env.WEBHOOK_RATES ?? '50,100,200').split(',').map(Number);
const SECONDS = Number(process.env.WEBHOOK_SECONDS ?? 10);
const WARMUP = Number(process.env.WEBHOOK_WARMUP_SECONDS ?? 2);
const here = path.dirname(fileURLToPath(import.meta.url));

interface Round {
  readonly rate: number;
  readonly posted: number;
  readonly originated: number;
  /** Clicks the connector refused with a reason (e.g. every trunk full: NO_ALLOWED_TRUNK), finished in the CRM as failed. */
  readonly refused: number;
  readonly errors: number;
  readonly p50: number;
  readonly p99: number;
  readonly replyP99: number;
  readonly diagnostics: string;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function next<T>(child: ReturnType<typeof fork>, type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { type: string }) => {
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** p50 / p99 ms of a one-row insert committed alone (autocommit), 5 ms apart, on an idle database. */
async function commitFloor(databaseUrl: string): Promise<{ p50: number; p99: number }> {
  const db = openDb({ url: databaseUrl });
  try {
    await db.schema.createTable('bench_commit_floor', (t) => {
      t.increments('id');
      t.text('v');
    });
    const took: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t0 = performance.now();
      await db('bench_commit_floor').insert({ v: 'x' });
      took.push(performance.now() - t0);
      await pause(5);
    }
    await db.schema.dropTable('bench_commit_floor');
    took.sort((a, b) => a - b);
    return { p50: percentile(took, 50), p99: percentile(took, 99) };
  } finally {
    await db.destroy();
  }
}

/** All rates on one database: a connector of its own, its doubles in a child process. */
async function measure(label: string, databaseUrl: string, dir: string): Promise<Round[]> {
  const child = fork(path.join(here, 'support/doubles-process.ts'), [], { execArgv: ['--import', 'tsx'] });
  const ready = await next<DoublesReady>(child, 'ready');
  const http = await listenHttp(0, '127.0.0.1');
  // Idle keep-alive sockets outlive the pauses between rounds: no reset race on the first click of a round.
  http.keepAliveTimeout = 60_000;
  const address = http.address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const env = loadEnv({
    DATABASE_URL: databaseUrl, PORT: '0', AGI_PORT: '0', AGI_HOST: '127.0.0.1', LOG_LEVEL: 'silent',
    AMI_HOST: '127.0.0.1', AMI_PORT: String(ready.amiPort), AMI_USER: 'connector', AMI_SECRET: ready.amiSecret,
    B24_MODE: 'app', B24_CLIENT_ID: ready.clientId, B24_CLIENT_SECRET: ready.clientSecret, PUBLIC_URL: baseUrl,
    B24_OAUTH_URL: ready.oauthUrl, B24_ALLOW_HTTP_LOOPBACK: '1',
    RECORDINGS_DIR: dir,
  });
  const connector = await startConnector({ env, logger: silentLogger, sampleDataIfEmpty: true, httpServer: http });
  const ami = connector.ami;
  if (!ami) throw new Error('the connector has no AMI client');
  const wallNow = () => performance.timeOrigin + performance.now();
  const originatedAt = new Map<string, number>();
  const originate = ami.originate.bind(ami);
  ami.originate = (req) => {
    const id = req.variables?.CONNECTOR_CALL_ID;
    if (id) originatedAt.set(id, wallNow());
    return originate(req);
  };
  // Clicks refused with a reason are answered, stored and finished, never originated: counted apart.
  const counter = databaseUrl.startsWith('postgres')
    ? knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 1 } })
    : knexFactory({ client: 'sqlite3', connection: { filename: databaseUrl }, useNullAsDefault: true });
  const refusedSoFar = async (): Promise<number> => Number((await counter('calls').whereNotNull('refusal_code').count({ n: '*' }))[0]?.n ?? 0);
  // Calls not ended yet, CRM writes not done, events not handled: the work a round leaves behind.
  const unsettled = async (): Promise<number> => (await Promise.all([
    counter('calls').whereIn('state', ['planned', 'routing']).count({ n: '*' }),
    counter('crm_outbox').whereIn('state', ['pending', 'inflight']).count({ n: '*' }),
    counter('crm_events').whereIn('state', ['pending', 'processing']).count({ n: '*' }),
  ])).reduce((sum, rows) => sum + Number(rows[0]?.n ?? 0), 0);
  const settle = async (): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while (await unsettled() > 0 && Date.now() < deadline) await pause(100);
  };
  child.send({ type: 'connector', agiPort: connector.agiPort, baseUrl });
  const installed = await next<{ status: number }>(child, 'installed');
  if (installed.status !== 200) throw new Error(`install failed: HTTP ${installed.status}`);

  const load = async (rate: number, total: number): Promise<LoadDone & { refused: number }> => {
    const before = originatedAt.size;
    const refusedBefore = await refusedSoFar();
    child.send({ type: 'load', rate, total });
    const done = await next<LoadDone>(child, 'done');
    const deadline = Date.now() + 60_000;
    let refused = 0;
    for (;;) {
      refused = (await refusedSoFar()) - refusedBefore;
      if (originatedAt.size - before + refused >= total - done.errors || Date.now() >= deadline) break;
      await pause(50);
    }
    return { ...done, refused };
  };

  // Warm-up at the top rate, not reported: the measured rounds see compiled code paths, as a
  // long-running connector's are.
  const top = Math.max(...RATES);
  if (WARMUP > 0) {
    await load(top, top * WARMUP);
    await pause(3000);
  }
  const rounds: Round[] = [];
  const backends = async (): Promise<number[]> => (databaseUrl.startsWith('postgres')
    ? ((await counter.raw('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()')) as { rows: { pid: number }[] }).rows.map((r) => r.pid)
    : []);
  for (const rate of RATES) {
    const total = rate * SECONDS;
    await settle();
    const processes = { doubles: child.pid ?? 0, backends: await backends() };
    const idle = await measureIdle(processes, 1000);
    const round = startRound(processes);
    const done = await load(rate, total);
    const untilOriginated = round.finish(total);
    await settle();
    const diagnostics = `${untilOriginated}\n    ${round.settled(total, idle)}`;
    const latencies = Object.entries(done.sentAt).flatMap(([id, t0]) => {
      const t1 = originatedAt.get(id);
      return t1 === undefined ? [] : [t1 - t0];
    }).sort((a, b) => a - b);
    const replies = [...done.replies].sort((a, b) => a - b);
    for (const e of done.errorSamples) console.log(`  ${label} @${rate}/s error: ${e}`);
    rounds.push({
      rate, posted: total, originated: latencies.length, refused: done.refused, errors: done.errors,
      p50: percentile(latencies, 50), p99: percentile(latencies, 99), replyP99: percentile(replies, 99), diagnostics,
    });
  }
  child.send({ type: 'stop' });
  await counter.destroy();
  await connector.stop();
  return rounds;
}

/** A fresh database on the server of `serverUrl`, dropped by the returned function. */
async function freshPgDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `b24pbx_bench_${process.pid}_${Date.now()}`;
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const db = knexFactory({ client: 'pg', connection: admin.toString(), pool: { min: 0, max: 1 } });
  await db.raw(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await db.raw(`drop database if exists ${name}`);
      await db.destroy();
    },
  };
}

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-bench-webhook-'));
  const results: { label: string; floor: { p50: number; p99: number }; rounds: Round[] }[] = [];
  try {
    if (process.env.WEBHOOK_SQLITE !== '0') {
      const file = path.join(dir, 'bench.sqlite');
      const floor = await commitFloor(path.join(dir, 'floor.sqlite'));
      results.push({ label: 'SQLite', floor, rounds: await measure('SQLite', file, dir) });
    }
    const pgServer = process.env.WEBHOOK_PG_URL;
    if (pgServer) {
      const pg = await freshPgDatabase(pgServer);
      try {
        const floor = await commitFloor(pg.url);
        results.push({ label: 'PostgreSQL', floor, rounds: await measure('PostgreSQL', pg.url, dir) });
      } finally {
        await pg.drop();
      }
    } else {
      console.log('webhook→originate: WEBHOOK_PG_URL not set (e.g. postgres://postgres@127.0.0.1:5432/postgres): SQLite only');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // The figures depend on what else the machine runs: its load is printed beside them.
  console.log(`webhook→originate: event posted → Originate sent, ms (${SECONDS} s per rate; target p99 <= 25 ms at 200/s; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, ${os.cpus().length} cores)`);
  const cell = (r: Round | undefined) => (r ? `${r.p50.toFixed(2).padStart(6)} / ${r.p99.toFixed(2).padStart(6)}  (${r.originated}/${r.posted}, ${r.refused} refused, ${r.errors} err, reply p99 ${r.replyP99.toFixed(1)})` : '');
  console.log(`  rate    ${results.map((x) => `${x.label} p50 / p99`.padEnd(64)).join('')}`);
  for (const rate of RATES) {
    console.log(`  ${String(rate).padStart(3)}/s   ${results.map((x) => cell(x.rounds.find((r) => r.rate === rate)).padEnd(64)).join('')}`);
  }
  console.log(`  baseline  ${results.map((x) => `one commit alone ${x.floor.p50.toFixed(2)} / ${x.floor.p99.toFixed(2)}`.padEnd(64)).join('')}`);
  for (const x of results) {
    for (const r of x.rounds) console.log(`  ${x.label} @${r.rate}/s: ${r.diagnostics}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
