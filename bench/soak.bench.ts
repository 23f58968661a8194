// Soak: mixed traffic through the doubles at SOAK_RATE attempts/s (default 200; a call rotating past
// a congested trunk is two attempts) for SOAK_SECONDS (default 600) — click-to-calls and desk-phone
// calls, half each; 3 in 10 rotate; Bitrix24 limits requests as an Enterprise portal (burst 250,
// 5/s) and answers 503 for 2 s of every 20 s; the sample rules' breaker is held shut, so the
// congested first attempts rotate instead of taking every trunk out of routes. The connector runs here as in production (SQLite by
// default, SOAK_DB=postgres://… for PostgreSQL), the doubles and the load in a child process, so
// this process's memory is the connector's. Reports errors (failed requests, calls that never
// finished, error log lines, parked CRM writes), RSS and heap after the warm-up (the first 10 %, at
// least 30 s) against the end, the click webhook's reply time in each 30 s (drift), the outbox
// depth when the load stops and how long it takes to drain (at most SOAK_DRAIN_SECONDS, default 900).
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../src/adapters/logging/logger.ts';
import { listenHttp, startConnector } from '../src/composition/connector.ts';
import { loadEnv } from '../src/config/env.ts';
import { largeCollections } from './support/collections.ts';
import type { SoakCounts, SoakReady } from './support/soak-doubles-process.ts';

const RATE = Number(process.env.SOAK_RATE ?? 200);
const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const DRAIN_SECONDS = Number(process.env.SOAK_DRAIN_SECONDS ?? 900);
const here = path.dirname(fileURLToPath(import.meta.url));
/** A folder: heap snapshots after the warm-up, when the load stops and after the drain, for `bench/support/heap-diff.mjs`. */
const SNAPSHOTS = process.env.SOAK_HEAP_SNAPSHOTS;

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
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** RSS and heap used after a full collection (run with --expose-gc). */
function settled(): { rss: number; heap: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}
/** A log line, its SQL folded: component, message and the error's cause (a database error's code, constraint and detail). */
function errorLine(line: string): string {
  try {
    const l = JSON.parse(line) as { component?: string; msg?: string; err?: { type?: string; message?: string; code?: string; constraint?: string; detail?: string } };
    const message = (l.err?.message ?? '').replace(/\((?:\$\d+, )*\$\d+\)(?:, \((?:\$\d+, )*\$\d+\))*/g, '(…)').replace(/\([^)]{200,}\)/g, '(…)');
    return `${l.component ?? '-'}: ${l.msg ?? ''} — ${l.err?.type ?? ''} ${l.err?.code ?? ''} ${l.err?.constraint ?? ''} ${l.err?.detail ?? ''}: ${message}`.slice(0, 600);
  } catch {
    return line.slice(0, 600);
  }
}
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-bench-soak-'));
  const child = fork(path.join(here, 'support/soak-doubles-process.ts'), [], { execArgv: ['--import', 'tsx'] });
  const ready = await next<SoakReady>(child, 'ready');
  // Error log lines count as errors; the first of each kind (component and message) is shown, with its count.
  const errorKinds = new Map<string, { first: string; n: number }>();
  let errorLogCount = 0;
  const errorLog = new Writable({
    write(chunk: Buffer, _enc, done) {
      errorLogCount += 1;
      const line = chunk.toString('utf8');
      const kind = /"component":"([^"]*)".*"msg":"([^"]*)"/.exec(line)?.slice(1).join(': ') ?? line.slice(0, 80);
      const seen = errorKinds.get(kind);
      if (seen) seen.n += 1;
      else if (errorKinds.size < 10) errorKinds.set(kind, { first: errorLine(line), n: 1 });
      done();
    },
  });
  // The sample rules, but a breaker that never opens: the soak's congestion (3 numbers in 10 on
  // their first attempt, on every trunk) is a traffic mix to rotate through, not a dead trunk.
  const rulesDir = path.join(dir, 'rules');
  fs.cpSync(path.join(here, '../rules'), rulesDir, { recursive: true });
  const routing = path.join(rulesDir, 'routing.yaml');
  const withBreaker = fs.readFileSync(routing, 'utf8').replace(/^breaker: .*$/m, 'breaker: { failures: 1000, windowSeconds: 1, openSeconds: 1 }');
  if (!withBreaker.includes('failures: 1000')) throw new Error(`no breaker line to replace in ${routing}`);
  fs.writeFileSync(routing, withBreaker);
  const http = await listenHttp(0, '127.0.0.1');
  const address = http.address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const env = loadEnv({
    DATABASE_URL: process.env.SOAK_DB ?? path.join(dir, 'soak.sqlite'), RULES_DIR: rulesDir, PORT: '0', AGI_PORT: '0', AGI_HOST: '127.0.0.1', LOG_LEVEL: 'error',
    AMI_HOST: '127.0.0.1', AMI_PORT: String(ready.amiPort), AMI_USER: 'connector', AMI_SECRET: ready.amiSecret,
    B24_MODE: 'app', B24_CLIENT_ID: ready.clientId, B24_CLIENT_SECRET: ready.clientSecret, PUBLIC_URL: baseUrl,
    B24_OAUTH_URL: ready.oauthUrl, B24_ALLOW_HTTP_LOOPBACK: '1',
    RECORDINGS_DIR: dir, OUTBOX_POLL_MS: '200', B24_RATE_BURST: '250', B24_RATE_PER_SEC: '5',
  });
  const connector = await startConnector({ env, logger: createLogger('error', errorLog), sampleDataIfEmpty: true, httpServer: http });
  child.send({ type: 'connector', agiPort: connector.agiPort, baseUrl });
  const installed = await next<{ status: number }>(child, 'installed');
  if (installed.status !== 200) throw new Error(`install failed: HTTP ${installed.status}`);

  const warmUp = Math.max(30, SECONDS * 0.1);
  let afterWarmUp: { rss: number; heap: number } | null = null;
  // Every 30 s from the warm-up on: one sample after a full collection can still catch a peak.
  const samples: { rss: number; heap: number }[] = [];
  let peak = 0;
  let printed = 0;
  const outboxLeft = async () => Number(((await connector.db('crm_outbox').whereIn('state', ['pending', 'inflight']).count({ n: '*' }).first()) as { n: number | string }).n);
  const onProgress = (m: SoakCounts) => {
    if (m.type !== 'progress') return;
    peak = Math.max(peak, process.memoryUsage().rss);
    if (afterWarmUp === null && m.seconds >= warmUp) {
      afterWarmUp = settled();
      if (SNAPSHOTS) console.log(`soak: heap snapshot ${v8.writeHeapSnapshot(path.join(SNAPSHOTS, 'after-warm-up.heapsnapshot'))}`);
    }
    // Once per 30 s of the load (a late progress message must not skip its line).
    if (Math.floor(m.seconds / 30) === printed) return;
    printed = Math.floor(m.seconds / 30);
    const now = settled();
    if (afterWarmUp !== null) samples.push(now);
    void outboxLeft().catch((err: unknown) => `? (${(err as Error).message.slice(0, 80)})`).then((depth) => console.log(`soak: ${m.seconds.toFixed(0)} s, ${m.clicks + m.deskCalls + m.rotations} attempts (${m.clicks} clicks, ${m.deskCalls} desk calls, ${m.rotations} rotations), ${m.errors} errors, RSS ${mb(now.rss)}, heap ${mb(now.heap)}, outbox ${depth}, load ${load()}`));
  };
  child.on('message', onProgress);
  child.send({ type: 'load', rate: RATE, seconds: SECONDS });
  const done = await next<SoakCounts>(child, 'done');
  child.off('message', onProgress);
  const atEnd = settled();
  if (SNAPSHOTS) console.log(`soak: heap snapshot ${v8.writeHeapSnapshot(path.join(SNAPSHOTS, 'at-load-end.heapsnapshot'))}`);
  const loadAtEnd = load();

  // Drained: nothing pending or in flight in the outbox (Bitrix24 is back up).
  const drainStarted = Date.now();
  const depthAtEnd = await outboxLeft();
  let left = depthAtEnd;
  while (left > 0 && Date.now() - drainStarted < DRAIN_SECONDS * 1000) {
    await pause(500);
    left = await outboxLeft();
  }
  const drainSeconds = (Date.now() - drainStarted) / 1000;
  const parked = Number(((await connector.db('crm_outbox').where({ state: 'parked' }).count({ n: '*' }).first()) as { n: number | string }).n);
  const openCalls = Number(((await connector.db('calls').whereNot({ state: 'ended' }).whereNull('refusal_code').count({ n: '*' }).first()) as { n: number | string }).n);
  const refusals = (await connector.db('calls').whereNotNull('refusal_code').groupBy('refusal_code').select('refusal_code').count({ n: '*' })) as { refusal_code: string; n: number | string }[];
  const refused = refusals.reduce((sum, r) => sum + Number(r.n), 0);
  const refusedBy = refusals.map((r) => `${r.refusal_code} ${r.n}`).join(', ');
  // Every call has ended: what the connector still holds in memory per call should be gone.
  const held = largeCollections(connector).filter((c) => !/\.(db|knex|client|pool|_events|metrics|registry)\b/i.test(c.path)).slice(0, 8);
  if (SNAPSHOTS) {
    settled();
    console.log(`soak: heap snapshot ${v8.writeHeapSnapshot(path.join(SNAPSHOTS, 'after-drain.heapsnapshot'))}`);
  }
  const writes = Number(((await connector.db('crm_outbox').count({ n: '*' }).first()) as { n: number | string }).n);

  child.send({ type: 'stop' });
  await connector.stop();
  fs.rmSync(dir, { recursive: true, force: true });

  const attempts = done.clicks + done.deskCalls + done.rotations;
  const unfinished = done.deskCalls - done.deskCallsFinished;
  const errors = done.errors + errorLogCount + parked + unfinished;
  const base = afterWarmUp ?? atEnd;
  console.log(`soak (${process.env.SOAK_DB ? 'PostgreSQL' : 'SQLite'}): ${attempts} attempts in ${done.loadSeconds.toFixed(0)} s (${(attempts / done.loadSeconds).toFixed(0)}/s of ${RATE}/s): ${done.clicks} clicks, ${done.deskCalls} desk calls, ${done.rotations} rotations; ${done.crmOutages} Bitrix24 outages of 2 s; load average at the end ${loadAtEnd}`);
  console.log(`  errors: ${errors} (target 0) — requests ${done.errors}, error log lines ${errorLogCount}, parked CRM writes ${parked}, desk calls unfinished ${unfinished}; calls refused by policy ${refused}${refused > 0 ? ` (${refusedBy})` : ''}`);
  for (const e of done.errorSamples) console.log(`    ${e.trim()}`);
  for (const { first, n } of errorKinds.values()) console.log(`    ${n} × ${first.trim()}`);
  console.log(`  RSS after warm-up (${warmUp.toFixed(0)} s) ${mb(base.rss)}, peak ${mb(peak)}, at the end ${mb(atEnd.rss)}: growth ${(((atEnd.rss - base.rss) / base.rss) * 100).toFixed(1)} % (target < 10 %); heap used ${mb(base.heap)} → ${mb(atEnd.heap)}`);
  const series = [base, ...samples, atEnd];
  if (series.length >= 6) {
    const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const first = series.slice(0, 3);
    const last = series.slice(-3);
    const [r0, r1] = [median(first.map((x) => x.rss)), median(last.map((x) => x.rss))];
    console.log(`  RSS median of the first 3 samples from the warm-up on ${mb(r0)}, of the last 3 ${mb(r1)}: growth ${(((r1 - r0) / r0) * 100).toFixed(1)} %; heap ${mb(median(first.map((x) => x.heap)))} → ${mb(median(last.map((x) => x.heap)))}`);
  }
  // Latency drift: the click replies of each 30 s, the warm-up's first.
  const windows = done.replyWindows.map((w) => `${w.fromSeconds}s ${w.p50.toFixed(1)}/${w.p99.toFixed(1)}`);
  console.log(`  click webhook reply p50/p99 ms per 30 s: ${windows.join(', ')}`);
  console.log(`  outbox: ${writes} CRM writes; ${depthAtEnd} pending when the load stopped, ${left === 0 ? `drained ${drainSeconds.toFixed(1)} s later` : `${left} still pending after ${drainSeconds.toFixed(0)} s`}; calls not ended: ${openCalls}`);
  console.log(`  in memory after the drain (≥ 100 entries): ${held.length === 0 ? 'nothing' : held.map((c) => `${c.path} ${c.size}`).join(', ')}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
