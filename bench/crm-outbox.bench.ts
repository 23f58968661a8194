// CRM outbox drain rate against the Bitrix24 double under the portal's rate limit (leaky bucket:
// burst 50, drain 2 requests/s). The double, the client-side limiter and the outbox share a
// virtual clock that moves only while the limiter waits, so many minutes of Bitrix24 time pass in
// seconds. Two figures per scenario: records per second of Bitrix24 time (what the portal's limit
// allows) and records per real second (what the connector itself — SQLite outbox, SDK, HTTP to the
// double — can push). The effective rate is the lower of the two.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { migrateLatest, openDb } from '../src/adapters/db/connection.ts';
import { CrmEventsRepository } from '../src/adapters/db/repositories/crm-events-repository.ts';
import { createHttpApp } from '../src/adapters/http/app.ts';
import { silentLogger } from '../src/adapters/logging/logger.ts';
import { createMetrics } from '../src/adapters/metrics/metrics.ts';
import { loadEnv } from '../src/config/env.ts';
import { createCrmSide } from '../src/composition/crm-side.ts';
import type { ClickToCallPort, ClickToCallResult } from '../src/app/crm/ports.ts';
import { OutboxRepository } from '../src/adapters/db/repositories/outbox-repository.ts';
import { PortalRepository } from '../src/adapters/db/repositories/portal-repository.ts';
import { B24Connection } from '../src/app/crm/connection.ts';
import { virtualClock } from '../src/app/crm/clock.ts';
import { enqueuePlans } from '../src/app/crm/enqueue-plan.ts';
import { planCallRecordWrites } from '../src/app/crm/call-record-writes.ts';
import { OutboxWorker } from '../src/app/crm/outbox-worker.ts';
import { RequestRateLimiter } from '../src/app/crm/rate-limiter.ts';
import { RecordingLinks, RecordingResolver } from '../src/app/crm/recordings.ts';
import { compileRules } from '../src/core/rules/compile.ts';
import { DEFAULT_BREAKER, type Rules } from '../src/core/rules/model.ts';
import { startBitrix24Double } from '../src/doubles/bitrix24/server.ts';

const CLIENT = { clientId: 'bench.app', clientSecret: 'bench-secret' };

const rules: Rules = {
  trunks: [{
    id: 'mts', name: 'MTS', kind: 'gsm', carrier: 'mts', dial: 'PJSIP/{number}@mts', numberFormat: 'e164', callerIds: ['+79990001111'],
    tariffs: { byCarrier: {}, byPrefix: [], default: 1 }, channels: null, enabled: true, priority: 1, line: '101', international: false, causeOverrides: {}, ringTimeout: 60,
    breaker: DEFAULT_BREAKER, limits: null,
  }],
  departments: [{ id: '1', name: 'Sales', parent: null, policy: { trunks: ['mts'], defaultTrunk: 'mts', rotateAfterManualLine: false, offNetFallback: true } }],
  users: [{ id: '1', name: 'Manager', extension: '100', departments: ['1'] }],
  masks: [],
  callerIds: { main: null, personal: [], regional: [], disabled: [], priority: 'regional-first' },
  crm: { whitelist: { users: [], extensions: [], departments: ['1'] }, excluded: { numbers: [], prefixes: [] }, finishNonWhitelisted: false, createLeads: false },
  maxAttempts: 5,
  defaultCountry: 'RU',
  timezone: 'Europe/Moscow',
};

interface Scenario {
  readonly title: string;
  readonly calls: number;
  readonly kind: 'click' | 'desk';
  readonly batchSize: number;
  readonly recordingMode?: 'content' | 'url';
}

async function runScenario(s: Scenario): Promise<void> {
  const clock = virtualClock();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-bench-'));
  const recDir = path.join(dir, 'rec');
  fs.mkdirSync(recDir);
  fs.writeFileSync(path.join(recDir, 'call.wav'), Buffer.alloc(16_000, 7)); // ~1 s of 8 kHz 16-bit audio
  const db = openDb({ url: path.join(dir, 'bench.sqlite') });
  await migrateLatest(db);
  const double = await startBitrix24Double({ clock: clock.now, clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret, users: [{ ID: '1', UF_PHONE_INNER: '100' }] });
  try {
    const portals = new PortalRepository(db);
    await portals.saveInstall({
      memberId: double.portal.memberId, domain: double.portal.domain, clientEndpoint: double.restUrl, serverEndpoint: double.restUrl,
      accessToken: double.portal.accessToken, refreshToken: double.portal.refreshToken, expires: Math.floor(Date.now() / 1000) + 86_400 * 365, expiresIn: 3600,
      applicationToken: double.portal.applicationToken, scope: 'telephony', status: 'L', userId: '1',
    }, clock.now());
    double.portal.expires = Math.floor(clock.now() / 1000) + 86_400 * 365;
    const connection = new B24Connection({ mode: 'app', ...CLIENT, allowHttpLoopback: true }, portals, clock);
    await connection.init();
    const outbox = new OutboxRepository(db);
    const compiled = compileRules(rules);
    const links = s.recordingMode === 'url' ? new RecordingLinks('bench-secret-0123456789', 'https://pbx.example.com', 3600) : null;
    const now = clock.now();
    for (let i = 0; i < s.calls; i++) {
      const crmCallId = s.kind === 'click' ? double.state.registerClickToCall('1', '+79261234567').CALL_ID : null;
      const plan = planCallRecordWrites({
        callId: `c${i}`, crmCallId, linkedid: `1732356000.${i}`, origin: crmCallId ? 'crm' : 'phone', userId: '1', extension: '100',
        number: `+7926${String(1_000_000 + i).padStart(7, '0')}`, startedAt: now, answeredAt: now, endedAt: now + 60_000, durationSec: 60,
        statusCode: '200', failedReason: null, trunkId: 'mts', b24Line: '101', cost: 1, recording: s.kind === 'desk' ? 'call.wav' : null, attempts: [],
      }, compiled);
      await enqueuePlans(outbox, [plan.writes], now);
    }
    const entries = (await outbox.counts()).pending;
    const worker = new OutboxWorker({
      repo: outbox, gateway: connection.delegate, clock, limiter: new RequestRateLimiter(clock, 50, 2),
      recordings: new RecordingResolver(recDir, links), maxAttempts: 12, batchSize: s.batchSize,
    });
    const realStart = performance.now();
    const b24Start = clock.now();
    const report = await worker.drainUntilIdle(100_000);
    const realS = (performance.now() - realStart) / 1000;
    const b24S = (clock.now() - b24Start) / 1000;
    const refused = double.received.filter((r) => r.status === 503).length;
    const counts = await outbox.counts();
    console.log(`${s.title}`);
    console.log(`  ${s.calls} call records = ${entries} outbox entries; ${report.requests} HTTP requests; done ${counts.done}, parked ${counts.parked}, 503s ${refused}`);
    console.log(`  Bitrix24 time ${b24S.toFixed(1)} s: ${(s.calls / Math.max(b24S, 1e-9)).toFixed(1)} call records/s, ${(report.requests / Math.max(b24S, 1e-9)).toFixed(2)} requests/s, ${(entries / Math.max(report.requests, 1)).toFixed(1)} entries per request`);
    if (report.requests > 50 && b24S > 0) {
      // The first 50 requests ride the portal's burst; after it, 2 requests per second.
      const steady = (s.calls * (report.requests - 50)) / report.requests / b24S;
      console.log(`  steady state after the burst of 50 requests: ${steady.toFixed(1)} call records/s of Bitrix24 time`);
    }
    console.log(`  real time ${realS.toFixed(2)} s: ${(s.calls / realS).toFixed(0)} call records/s of connector processing`);
  } finally {
    await double.close();
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The events endpoint's reply time with a PBX that takes 2 s to accept each Originate: Bitrix24
 * must get its answer within 100 ms, so the reply may only wait for the event to be stored.
 */
async function eventReplyLatency(events: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-bench-'));
  const db = openDb({ url: path.join(dir, 'events.sqlite') });
  await migrateLatest(db);
  const double = await startBitrix24Double({ authMode: 'webhook', rateLimit: false });
  const waiting: (() => void)[] = [];
  let completed = 0;
  const slow = async (): Promise<ClickToCallResult> => {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      waiting.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
    completed += 1;
    return { status: 'originated' };
  };
  const slowPort: ClickToCallPort = {
    placed: async () => false,
    originate: slow,
    plan: (r) => ({
      ok: true,
      planned: null,
      call: {
        id: `c2c-${r.crmCallId}`, crmCallId: r.crmCallId, channelId: `c2c-${r.crmCallId}-a`, linkedid: `c2c-${r.crmCallId}-a`, origin: r.origin, userId: r.userId,
        extension: r.extension, number: r.number, numberE164: null, line: r.line, state: 'planned', plan: null, refusalCode: null, refusalMessage: null, startedAt: Date.now(),
      },
    }),
    dial: slow,
  };
  const env = loadEnv({ B24_MODE: 'webhook', B24_WEBHOOK_URL: double.webhookUrl, B24_APPLICATION_TOKEN: double.portal.applicationToken });
  const compiled = compileRules(rules);
  const side = createCrmSide({
    db, env, rules: { current: () => compiled }, clickToCall: slowPort, logger: silentLogger,
    endedCalls: { listPending: async () => [], markDone: async () => undefined },
  });
  await side.connection.init();
  const app = createHttpApp({ logger: silentLogger, metrics: createMetrics({ defaultMetrics: false }), readiness: [], routers: [{ path: '/', router: side.router }] });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bitrix24/events`;
  try {
    const elapsed: number[] = [];
    for (let i = 0; i < events; i++) {
      const call = double.state.registerClickToCall('1', '+79261234567');
      const r = await double.postEvent(url, 'ONEXTERNALCALLSTART', {
        PHONE_NUMBER: '89261234567', PHONE_NUMBER_INTERNATIONAL: '+79261234567', USER_ID: '1', CALL_ID: call.CALL_ID, LINE_NUMBER: '', IS_MOBILE: '0',
      }, double.webhookAuth());
      if (r.status !== 200) throw new Error(`event ${i} answered ${r.status}`);
      elapsed.push(r.elapsedMs);
    }
    const sorted = [...elapsed].sort((a, b) => a - b);
    const at = (q: number) => (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0).toFixed(1);
    console.log(`events endpoint: ${events} ONEXTERNALCALLSTART over HTTP, click-to-call port taking 2 s each (SQLite)`);
    console.log(`  reply p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms; dials completed (2 s each) by the time the last reply arrived: ${completed}`);
  } finally {
    const deadline = Date.now() + 10_000;
    while ((await new CrmEventsRepository(db).listUnprocessed()).length > 0 && Date.now() < deadline) {
      for (const release of waiting.splice(0)) release();
      await new Promise((r) => setTimeout(r, 10));
    }
    await side.stop();
    await new Promise((r) => server.close(r));
    await double.close();
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  console.log('CRM outbox drain against the Bitrix24 double (portal limit: burst 50, drain 2 requests/s)');
  await runScenario({ title: 'click-to-call finishes, batches of 50', calls: 5_000, kind: 'click', batchSize: 50 });
  await runScenario({ title: 'click-to-call finishes, no batching (one request each)', calls: 400, kind: 'click', batchSize: 1 });
  await runScenario({ title: 'desk-phone calls (register → finish → attachRecord), recordings as signed RECORD_URL (batchable)', calls: 2_000, kind: 'desk', batchSize: 50, recordingMode: 'url' });
  await runScenario({ title: 'desk-phone calls, recordings inline as FILE_CONTENT (never batched)', calls: 300, kind: 'desk', batchSize: 50, recordingMode: 'content' });
  await eventReplyLatency(300);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
