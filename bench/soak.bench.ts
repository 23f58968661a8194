// Soak: mixed traffic through the doubles at SOAK_RATE attempts/s (default 200) for SOAK_SECONDS
// (default 600) — click-to-calls and desk-phone calls, half each; a quarter rotate past a
// congested trunk; Bitrix24 answers 503 for 2 s of every 20 s. The connector runs here as in
// production (SQLite by default, SOAK_DB=postgres://… for PostgreSQL), the doubles and the load in
// a child process. Reports errors (failed requests, calls that never finished, error log lines,
// parked CRM writes), the connector's RSS after the warm-up (the first 10 %, at least 30 s)
// against the end, the click webhook's reply time in each 30 s (drift), and whether the outbox
// drained once the load stopped.
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../src/adapters/logging/logger.ts';
import { listenHttp, startConnector } from '../src/composition/connector.ts';
import { loadEnv } from '../src/config/env.ts';
import type { SoakCounts, SoakReady } from './support/soak-doubles-process.ts';

const RATE = Number(process.env.SOAK_RATE ?? 200);
const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const here = path.dirname(fileURLToPath(import.meta.url));

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

function rss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
}

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-bench-soak-'));
  const child = fork(path.join(here, 'support/soak-doubles-process.ts'), [], { execArgv: ['--import', 'tsx'] });
  const ready = await next<SoakReady>(child, 'ready');
  // Error log lines count as errors; the first few are shown.
  const errorLines: string[] = [];
  let errorLogCount = 0;
  const errorLog = new Writable({
    write(chunk: Buffer, _enc, done) {
      errorLogCount += 1;
      if (errorLines.length < 5) errorLines.push(chunk.toString('utf8').slice(0, 300));
      done();
    },
  });
  const http = await listenHttp(0, '127.0.0.1');
  const address = http.address();
  const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const env = loadEnv({
    DATABASE_URL: process.env.SOAK_DB ?? path.join(dir, 'soak.sqlite'), PORT: '0', AGI_PORT: '0', AGI_HOST: '127.0.0.1', LOG_LEVEL: 'error',
    AMI_HOST: '127.0.0.1', AMI_PORT: String(ready.amiPort), AMI_USER: 'connector', AMI_SECRET: ready.amiSecret,
    B24_MODE: 'app', B24_CLIENT_ID: ready.clientId, B24_CLIENT_SECRET: ready.clientSecret, PUBLIC_URL: baseUrl,
    B24_OAUTH_URL: ready.oauthUrl, B24_ALLOW_HTTP_LOOPBACK: '1',
    RECORDINGS_DIR: dir, OUTBOX_POLL_MS: '200', B24_RATE_BURST: '100000', B24_RATE_PER_SEC: '100000',
  });
  const connector = await startConnector({ env, logger: createLogger('error', errorLog), sampleDataIfEmpty: true, httpServer: http });
  child.send({ type: 'connector', agiPort: connector.agiPort, baseUrl });
  const installed = await next<{ status: number }>(child, 'installed');
  if (installed.status !== 200) throw new Error(`install failed: HTTP ${installed.status}`);

  const warmUp = Math.max(30, SECONDS * 0.1);
  let afterWarmUp: number | null = null;
  let peak = 0;
  const onProgress = (m: SoakCounts) => {
    if (m.type !== 'progress') return;
    const now = rss();
    if (afterWarmUp === null && m.seconds >= warmUp) afterWarmUp = now;
    if (afterWarmUp !== null) peak = Math.max(peak, now);
    if (Math.floor(m.seconds) % 30 === 0) console.log(`soak: ${m.seconds.toFixed(0)} s, ${m.clicks} clicks, ${m.deskCalls} desk calls, ${m.errors} errors, RSS ${mb(now)}`);
  };
  child.on('message', onProgress);
  child.send({ type: 'load', rate: RATE, seconds: SECONDS });
  const done = await next<SoakCounts>(child, 'done');
  child.off('message', onProgress);
  const atEnd = rss();

  // Drained: nothing pending or in flight in the outbox (Bitrix24 is back up).
  const drainStarted = Date.now();
  const outboxLeft = async () => Number(((await connector.db('crm_outbox').whereIn('state', ['pending', 'inflight']).count({ n: '*' }).first()) as { n: number | string }).n);
  let left = await outboxLeft();
  while (left > 0 && Date.now() - drainStarted < 120_000) {
    await pause(500);
    left = await outboxLeft();
  }
  const drainSeconds = (Date.now() - drainStarted) / 1000;
  const parked = Number(((await connector.db('crm_outbox').where({ state: 'parked' }).count({ n: '*' }).first()) as { n: number | string }).n);
  const openCalls = Number(((await connector.db('calls').whereNot({ state: 'ended' }).whereNull('refusal_code').count({ n: '*' }).first()) as { n: number | string }).n);

  child.send({ type: 'stop' });
  await connector.stop();
  fs.rmSync(dir, { recursive: true, force: true });

  const attempts = done.clicks + done.deskCalls;
  const unfinished = done.deskCalls - done.deskCallsFinished;
  const errors = done.errors + errorLogCount + parked + unfinished;
  const base = afterWarmUp ?? atEnd;
  console.log(`soak: ${attempts} attempts in ${done.seconds.toFixed(0)} s (${(attempts / done.seconds).toFixed(0)}/s of ${RATE}/s): ${done.clicks} clicks, ${done.deskCalls} desk calls; ${done.crmOutages} Bitrix24 outages of 2 s; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`  errors: ${errors} (target 0) — requests ${done.errors}, error log lines ${errorLogCount}, parked CRM writes ${parked}, desk calls unfinished ${unfinished}`);
  for (const e of [...done.errorSamples, ...errorLines]) console.log(`    ${e.trim()}`);
  console.log(`  RSS after warm-up (${warmUp.toFixed(0)} s) ${mb(base)}, peak ${mb(peak)}, at the end ${mb(atEnd)}: growth ${(((atEnd - base) / base) * 100).toFixed(1)} % (target < 10 %)`);
  // Latency drift: the click replies of each 30 s, the warm-up's first.
  const windows = done.replyWindows.map((w) => `${w.fromSeconds}s ${w.p50.toFixed(1)}/${w.p99.toFixed(1)}`);
  console.log(`  click webhook reply p50/p99 ms per 30 s: ${windows.join(', ')}`);
  console.log(`  outbox: ${left === 0 ? `drained ${drainSeconds.toFixed(1)} s after the load stopped` : `${left} entries still pending after ${drainSeconds.toFixed(0)} s`}; calls not ended: ${openCalls}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
