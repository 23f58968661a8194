// The auto-dialer's figures (target: the decision per free operator p99 <= 2 ms):
// 1. the pure decision (src/core/pacing/chooseLead) over a batch of 50 due leads with the
//    do-not-call list, calling hours in several timezones and caps on, beside one route decision
//    of the same run as the baseline;
// 2. the whole cycle per freed operator on SQLite: read running campaigns, operators and device
//    states, due leads, decide, hold the operator, store the attempt, route and store the customer
//    leg, send the Originate (a fake PBX that answers NOANSWER at once, so operators free up again).
//    Wall time per freed operator (p50/p99) and the process CPU per operator, with the load average.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrateLatest, openDb } from '../src/adapters/db/connection.ts';
import { CallsRepository } from '../src/adapters/db/repositories/calls-repository.ts';
import { DialerRepository } from '../src/adapters/db/repositories/dialer-repository.ts';
import { silentLogger } from '../src/adapters/logging/logger.ts';
import { loadRules } from '../src/adapters/rules/load.ts';
import { CustomerLegs } from '../src/app/dialer/customer-leg.ts';
import { DialerCycle } from '../src/app/dialer/cycle.ts';
import type { DialerOriginate, DialerPbx } from '../src/app/dialer/ports.ts';
import { chooseLead, type DueLead } from '../src/core/pacing/choose-lead.ts';
import { DncList } from '../src/core/pacing/dnc.ts';
import { defaultPacing, parseWindow } from '../src/core/pacing/settings.ts';
import { UNKNOWN_CARRIER } from '../src/core/numbering/carrier.ts';
import { decideRoute } from '../src/core/routing/decide.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
const ms = (v: number) => v.toFixed(3);

function decisionFigures(): void {
  const loaded = loadRules(path.join(root, 'rules'));
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const rules = loaded.compiled;
  const settings = { ...defaultPacing('Europe/Moscow'), callingHours: parseWindow('09:00-21:00')!, quietHours: [parseWindow('13:00-14:00')!], caps: { perDay: 3, perWeek: 10, perMonth: 20 } };
  const zones = ['Europe/Moscow', 'Asia/Novosibirsk', 'Asia/Vladivostok', 'Europe/Kaliningrad', null];
  const dnc = new DncList([...Array.from({ length: 100_000 }, (_, i) => ({ digits: `7916${String(i).padStart(7, '0')}`, kind: 'number' as const })), { digits: '7800', kind: 'prefix' as const }]);
  // 18:30 UTC: 21:30 in Moscow and later eastwards (closed), 20:30 in Kaliningrad (open).
  const now = Date.UTC(2027, 0, 15, 18, 30);
  const batches: DueLead[][] = Array.from({ length: 200 }, (_, b) => Array.from({ length: 50 }, (_, i) => ({
    id: String(i), digits: `79${(b + i) % 7 === 0 ? '16' : String(20 + ((b + i) % 80)).padStart(2, '0')}${String((b * 50 + i) * 7919 % 10_000_000).padStart(7, '0')}`,
    timezone: zones[(b + i) % zones.length] ?? null, attemptStarts: [now - 3_600_000, now - 86_400_000 * 2], reserveOperator: false,
  })));
  const carriers = { lookup: () => UNKNOWN_CARRIER };
  for (let i = 0; i < 20_000; i++) chooseLead(batches[i % batches.length]!, settings, dnc, now); // warm-up
  const decide: number[] = [];
  const route: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const batch = batches[i % batches.length]!;
    let t = process.hrtime.bigint();
    chooseLead(batch, settings, dnc, now + i * 1000);
    decide.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    decideRoute(rules, carriers, { department: '10', number: `+${batch[0]!.digits}`, numberIsInternational: true, origin: 'dialer' });
    route.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  decide.sort((a, b) => a - b);
  route.sort((a, b) => a - b);
  console.log(`pure decision per free operator (50 due leads, 100k-entry do-not-call list, caps, 5 timezones): p50 ${ms(pct(decide, 0.5))} ms, p99 ${ms(pct(decide, 0.99))} ms, max ${ms(decide[decide.length - 1]!)} ms`);
  console.log(`  baseline, one route decision of the customer leg in the same run: p50 ${ms(pct(route, 0.5))} ms, p99 ${ms(pct(route, 0.99))} ms`);
}

async function cycleFigures(OPERATORS: number, CALLS: number): Promise<void> {
  const db = openDb({ url: ':memory:' });
  await migrateLatest(db);
  const loaded = loadRules(path.join(root, 'rules'));
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
  const store = new DialerRepository(db);
  const now = Date.now();
  const LEADS = 4000;
  const ops = Array.from({ length: OPERATORS }, (_, i) => String(100 + i));
  for (const id of ops) {
    await store.saveOperator({ id, name: null, dial: `PJSIP/${id}`, stateDevice: `PJSIP/${id}` }, now);
    await store.setOnline(id, true, null, now);
  }
  await store.saveCampaign({
    id: 'bench', name: 'bench', status: 'running', department: '10', operators: ops, source: null, createdAt: now,
    settings: { ...defaultPacing('Europe/Moscow'), callingHours: { from: 0, to: 1440 }, retry: { noAnswer: 0, unreachable: 0, busy: 0, technical: 0 }, maxAttempts: 1000 },
  });
  await store.addLeads('bench', Array.from({ length: LEADS }, (_, i) => ({ number: `+7926${String(i).padStart(7, '0')}`, digits: `7926${String(i).padStart(7, '0')}`, entityType: null, entityId: null, title: null })), now);

  const freedAt = new Map<string, bigint>();
  const ending = new Set<Promise<void>>();
  let stopping = false;
  const perOperator: number[] = [];
  const ref: { cycle?: DialerCycle } = {};
  const pbx: DialerPbx = {
    connected: true,
    async deviceStates(devices) { return new Map(devices.map((d) => [d, 'NOT_INUSE'])); },
    async originate(r: DialerOriginate) {
      const freed = freedAt.get(r.operator?.id ?? '');
      if (freed !== undefined) perOperator.push(Number(process.hrtime.bigint() - freed) / 1e6);
      // The customer does not answer: the call ends at once and the operator is free again.
      if (stopping) return;
      setImmediate(() => {
        const p = ref.cycle!.handle({ kind: 'customer-end', callId: r.callId, dialStatus: 'NOANSWER', hangupCause: 16 }).then(() => {
          freedAt.set(r.operator?.id ?? '', process.hrtime.bigint());
        });
        ending.add(p);
        void p.finally(() => ending.delete(p));
      });
    },
  };
  const calls = new CallsRepository(db, () => Date.now());
  const routing = { rules: { current: () => loaded.compiled }, carriers: { current: () => ({ lookup: () => UNKNOWN_CARRIER }) } };
  let n = 0;
  const cycle = new DialerCycle({
    store, pbx, card: null, clock: { now: () => Date.now() }, logger: silentLogger, newId: () => (++n).toString(16).padStart(12, '0'),
    legs: new CustomerLegs({ store: calls, routing, clock: { now: () => Date.now() }, busyChannels: () => ({}), remember: () => undefined }),
    timezoneOf: () => null, operatorRingSeconds: 20,
  });
  ref.cycle = cycle;
  await cycle.reloadDnc();
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  while (perOperator.length < CALLS) {
    await cycle.tick();
    await new Promise((r) => setImmediate(r));
  }
  const wall = Date.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  stopping = true;
  await cycle.idle();
  while (ending.size > 0) await Promise.all([...ending]);
  const sorted = [...perOperator].sort((a, b) => a - b);
  console.log(`cycle per freed operator (SQLite in memory, ${OPERATORS} operators, NOANSWER at once): p50 ${ms(pct(sorted, 0.5))} ms, p99 ${ms(pct(sorted, 0.99))} ms wall; ${sorted.length} calls in ${wall} ms; CPU ${((cpu.user + cpu.system) / 1000 / sorted.length).toFixed(2)} ms per call`);
  await db.destroy();
}

console.log(`load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, ${os.cpus().length} CPUs`);
decisionFigures();
await cycleFigures(1, 500);
await cycleFigures(20, 2000);
console.log(`load average after ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
