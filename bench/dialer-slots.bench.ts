// The auto-dialer end to end through the doubles: the whole connector (startWithDoubles: AMI,
// FastAGI route loop, call tracker, CRM outbox to the Bitrix24 double) and the PBX double playing
// the shipped extensions_dialer.conf. DIALER_SLOTS_CALLS (default 10,000) unanswered customer calls
// over DIALER_SLOTS_OPERATORS (default 50) operators, each ringing the campaign's 30 s scaled by
// DIALER_SLOTS_SCALE (default 0.01 → 300 ms). Target: the dialer's slot — the operator it holds —
// free within 5 s of the customer leg's hangup, for every call. Baseline beside it: the slot every
// connector call has (the call tracker closing the call and its trunk channel count), measured
// from the same hangups. Then DIALER_SLOTS_ANSWERED (default 500) answered customers: answer → the
// held operator bridged (p95; target 2 s) with the operator's phone answering at once, so the
// figure is the PBX/connector path, not a person's pick-up time.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { amiGet } from '../src/adapters/asterisk/ami/codec.ts';
import { DialerRepository } from '../src/adapters/db/repositories/dialer-repository.ts';
import { createLogger } from '../src/adapters/logging/logger.ts';
import type { CallRecord } from '../src/app/calls/call-record.ts';
import { startWithDoubles } from '../src/composition/demo-environment.ts';
import { loadEnv } from '../src/config/env.ts';
import { defaultPacing } from '../src/core/pacing/settings.ts';

const CALLS = Number(process.env.DIALER_SLOTS_CALLS ?? 10_000);
const OPERATORS = Number(process.env.DIALER_SLOTS_OPERATORS ?? 50);
const SCALE = Number(process.env.DIALER_SLOTS_SCALE ?? 0.01);
const ANSWERED = Number(process.env.DIALER_SLOTS_ANSWERED ?? 500);
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

function rulesDir(dir: string): string {
  const rules = path.join(dir, 'rules');
  fs.mkdirSync(rules);
  fs.writeFileSync(path.join(rules, 'trunks.yaml'), `trunks:
  - id: bench-sip
    kind: sip
    dial: PJSIP/{e164}@bench-sip
    callerIds: ['+74951234500']
    tariffs: { default: 1 }
`);
  fs.writeFileSync(path.join(rules, 'departments.yaml'), 'departments:\n  - { id: 10, name: Sales, trunks: [bench-sip], defaultTrunk: bench-sip }\n');
  fs.writeFileSync(path.join(rules, 'users.yaml'), `users:\n${Array.from({ length: OPERATORS }, (_, i) => `  - { id: ${i + 1}, name: op${i + 1}, extension: ${1001 + i}, departments: [10] }`).join('\n')}\n`);
  fs.copyFileSync(new URL('../rules/carriers.yaml', import.meta.url), path.join(rules, 'carriers.yaml'));
  fs.writeFileSync(path.join(rules, 'crm.yaml'), 'whitelist:\n  users: []\n  extensions: []\n  departments: [10]\n');
  return rules;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-bench-dialer-'));
const env = loadEnv({
  DATABASE_URL: path.join(dir, 'bench.sqlite'), RULES_DIR: rulesDir(dir), PORT: '0', AGI_PORT: '0', LOG_LEVEL: 'error',
  DIALER_TICK_MS: '20', OUTBOX_POLL_MS: '200', B24_RATE_BURST: '100000', B24_RATE_PER_SEC: '100000',
});
// Numbers 7925… answer (ring 2 s, talk 5 s, scaled); everything else rings out unanswered.
const d = await startWithDoubles(env, createLogger('error'), {
  timeScale: SCALE,
  trunks: (_dial, info) => (info.number.startsWith('7925') || info.number.startsWith('+7925') ? { kind: 'answer', ringMs: 2000, talkMs: 5000 } : { kind: 'noanswer' }),
  defaultPhone: { kind: 'answer' },
  bitrix24: { rateLimit: false },
  env: { DATABASE_URL: path.join(dir, 'bench.sqlite') },
});
const { connector, pbx } = d;
const store = new DialerRepository(connector.db);

const hangupAt = new Map<string, number>();
const answeredAt = new Map<string, number>();
const bridgedAt = new Map<string, number>();
const trackerFreedAt = new Map<string, number>();
pbx.onEvent((ev) => {
  const event = amiGet(ev, 'Event');
  if (event === 'Hangup') {
    const uid = amiGet(ev, 'Uniqueid') ?? '';
    if (uid.startsWith('c2c-dl-') && uid.endsWith('-b')) hangupAt.set(uid.slice(0, -2), performance.now());
  } else if (event === 'UserEvent') {
    const name = amiGet(ev, 'UserEvent');
    const callId = amiGet(ev, 'CallId') ?? '';
    if (name === 'DialerAnswered') answeredAt.set(callId, performance.now());
    if (name === 'DialerBridged') bridgedAt.set(callId, performance.now());
  }
});
// The tracker's slot: the call closed, its trunk channel no longer counted.
connector.callEvents.on('call-ended', (r: CallRecord) => { if (r.callId.startsWith('c2c-dl-')) trackerFreedAt.set(r.callId, performance.now()); });
// The dialer's slot: the operator is released when the attempt is closed (its ended_at, read back at the end).

const now = Date.now();
const ops = Array.from({ length: OPERATORS }, (_, i) => String(i + 1));
for (const id of ops) {
  await store.saveOperator({ id, name: null, dial: `PJSIP/${1000 + Number(id)}`, stateDevice: `PJSIP/${1000 + Number(id)}` }, now);
  await store.setOnline(id, true, null, now);
}
const settings = { ...defaultPacing('Europe/Moscow'), callingHours: { from: 0, to: 1440 } };

async function run(campaign: string, prefix: string, count: number): Promise<number> {
  await store.saveCampaign({ id: campaign, name: campaign, status: 'draft', department: '10', operators: ops, settings, source: null, createdAt: Date.now() });
  await store.addLeads(campaign, Array.from({ length: count }, (_, i) => {
    const digits = `${prefix}${String(i).padStart(11 - prefix.length, '0')}`;
    return { number: `+${digits}`, digits, entityType: 'LEAD', entityId: String(i + 1), title: null };
  }), Date.now());
  const t0 = Date.now();
  await store.setStatus(campaign, 'running', Date.now());
  for (;;) {
    const p = await store.progress(campaign);
    if ((p.leads.pending ?? 0) + (p.leads.calling ?? 0) === 0 || Date.now() - t0 > 30 * 60_000) break;
    if (Object.values(p.outcomes).reduce((a, b) => a + (b ?? 0), 0) >= count) break;
    await pause(250);
  }
  await store.setStatus(campaign, 'stopped', Date.now());
  return Date.now() - t0;
}

console.log(`load average ${load()}, ${os.cpus().length} CPUs; ${CALLS} unanswered calls over ${OPERATORS} operators, ring 30 s × ${SCALE}`);
const wall = await run('unanswered', '7926', CALLS);
await pause(1000); // the last tracker closes
const ended = await connector.db('dialer_attempts').where({ campaign_id: 'unanswered' }).select('call_id', 'ended_at', 'outcome');
const startedWall = Date.now() - performance.now(); // performance.now() → epoch ms
const dialerLag: number[] = [];
const trackerLag: number[] = [];
let noHangup = 0;
for (const a of ended as { call_id: string; ended_at: number | string | null; outcome: string | null }[]) {
  const h = hangupAt.get(a.call_id);
  if (h === undefined || a.ended_at === null) { noHangup += 1; continue; }
  dialerLag.push(Math.max(0, Number(a.ended_at) - (startedWall + h)));
  const t = trackerFreedAt.get(a.call_id);
  if (t !== undefined) trackerLag.push(Math.max(0, t - h));
}
dialerLag.sort((a, b) => a - b);
trackerLag.sort((a, b) => a - b);
const held = await connector.db('dialer_operators').whereNotNull('call_id').count({ n: '*' }).first() as { n: number | string };
const busy = Object.values(connector.calls.routes.channels.busy()).reduce((a, b) => a + b, 0);
const outcomes = await store.progress('unanswered');
const over = (xs: number[]) => xs.filter((x) => x > 5000).length;
console.log(`unanswered: ${ended.length} calls in ${(wall / 1000).toFixed(1)} s (${(ended.length / (wall / 1000)).toFixed(0)}/s), outcomes ${JSON.stringify(outcomes.outcomes)}, ${noHangup} without a seen end`);
console.log(`  operator slot freed after the customer's hangup: p50 ${pct(dialerLag, 0.5).toFixed(1)} ms, p99 ${pct(dialerLag, 0.99).toFixed(1)} ms, max ${(dialerLag[dialerLag.length - 1] ?? NaN).toFixed(1)} ms; over 5 s: ${over(dialerLag)} (target 0)`);
console.log(`  call/trunk slot (tracker) freed after the hangup: p50 ${pct(trackerLag, 0.5).toFixed(1)} ms, p99 ${pct(trackerLag, 0.99).toFixed(1)} ms, max ${(trackerLag[trackerLag.length - 1] ?? NaN).toFixed(1)} ms over ${trackerLag.length} calls; over 5 s: ${over(trackerLag)} (target 0)`);
console.log(`  after the run: operators still held ${Number(held.n)}, trunk channels still counted ${busy} (target 0 and 0); load average ${load()}`);

if (ANSWERED > 0) {
  const wall2 = await run('answered', '7925', ANSWERED);
  const lag = [...answeredAt].filter(([id]) => bridgedAt.has(id)).map(([id, t]) => (bridgedAt.get(id) as number) - t).sort((a, b) => a - b);
  console.log(`answered: ${ANSWERED} customers in ${(wall2 / 1000).toFixed(1)} s; answer → operator bridged (${lag.length} bridged): p50 ${pct(lag, 0.5).toFixed(2)} ms, p95 ${pct(lag, 0.95).toFixed(2)} ms, max ${(lag[lag.length - 1] ?? NaN).toFixed(2)} ms (target p95 ≤ 2000 ms)`);
}
console.log(`load average after ${load()}`);
await d.stop();
fs.rmSync(dir, { recursive: true, force: true });
