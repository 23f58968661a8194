// What the routing saves on the real number distribution: 10,000 calls to numbers drawn from the
// current DEF-9xx.csv in proportion to each range's capacity, routed by the routing core under one
// GSM gateway per big-four carrier and a SIP provider (seed 004's default trunk: Beeline), stored
// through the tracker's write path and added up by the savings report. Needs ../shared.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrateLatest, openDb } from '../src/adapters/db/connection.ts';
import { CallCostRepository } from '../src/adapters/db/repositories/call-cost-repository.ts';
import { CallsRepository } from '../src/adapters/db/repositories/calls-repository.ts';
import { NumberingPlanRepository } from '../src/adapters/db/repositories/numbering-plan-repository.ts';
import { loadCarrierMapping, parseCarriersConfig } from '../src/adapters/numbering-plan/carriers-config.ts';
import { loadRulesFromTexts } from '../src/adapters/rules/load.ts';
import { callCost } from '../src/app/calls/finish-call.ts';
import { planOf } from '../src/app/calls/plan.ts';
import type { EndedCall } from '../src/app/calls/ports.ts';
import { CarrierIndexStore } from '../src/app/numbering/carrier-index-store.ts';
import { importPlan } from '../src/app/numbering/import-plan.ts';
import { buildSavingsReport } from '../src/app/savings/build-report.ts';
import { savingsToJson } from '../src/app/savings/render.ts';
import { PER_MINUTE } from '../src/core/rules/billing.ts';
import { decideRoute } from '../src/core/routing/decide.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REAL = path.resolve(root, '../shared/data/numbering-plan/DEF-9xx.csv');
const CALLS = 10_000;
const T0 = Date.UTC(2026, 10, 2, 7, 0);

/** One gateway per big-four carrier (the shipped tariffs) and a universal SIP provider. */
const RULES = {
  'routing.yaml': 'timezone: Europe/Moscow\n',
  'trunks.yaml': `
trunks:
  - { id: gsm-mts, kind: gsm, carrier: mts, dial: 'PJSIP/{number}@gw-mts', numberFormat: national-8, callerIds: ['+79161230001'], tariffs: { byCarrier: { mts: 0.0 }, default: 2.5 } }
  - { id: gsm-megafon, kind: gsm, carrier: megafon, dial: 'PJSIP/{number}@gw-megafon', numberFormat: national-8, callerIds: ['+79261230002'], tariffs: { byCarrier: { megafon: 0.3 }, default: 2.2 } }
  - { id: gsm-beeline, kind: gsm, carrier: beeline, dial: 'PJSIP/{number}@gw-beeline', numberFormat: national-8, callerIds: ['+79031230003'], tariffs: { byCarrier: { beeline: 0.2 }, default: 1.5 } }
  - { id: gsm-tele2, kind: gsm, carrier: tele2, dial: 'PJSIP/{number}@gw-tele2', numberFormat: national-8, callerIds: ['+79771230004'], tariffs: { byCarrier: { tele2: 0.5 }, default: 3.0 } }
  - { id: sip-uni, kind: sip, dial: 'PJSIP/{e164}@uni', callerIds: ['+74951234500'], tariffs: { default: 1.2 } }
`,
  'departments.yaml': 'departments:\n  - { id: 10, name: Sales, trunks: [gsm-mts, gsm-megafon, gsm-beeline, gsm-tele2, sip-uni], defaultTrunk: gsm-beeline }\n',
  'users.yaml': 'users:\n  - { id: 1, name: Manager, extension: 100, departments: [10] }\n',
};

function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

export async function run(): Promise<void> {
  if (!fs.existsSync(REAL)) {
    console.log(`savings-distribution: skipped: ${REAL} is absent (the real numbering plan lives in ../shared)`);
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'b24pbx-bench-savings-dist-'));
  const db = openDb({ url: path.join(dir, 'bench.sqlite') });
  try {
    await migrateLatest(db);
    const mapping = loadCarrierMapping(path.join(root, 'rules'));
    await importPlan({ db, files: [REAL], mapping, now: T0 });
    const index = new CarrierIndexStore({ db, loadMapping: () => mapping });
    await index.reload();
    const lookup = index.current();
    const known = Object.keys(parseCarriersConfig(fs.readFileSync(path.join(root, 'rules/carriers.yaml'), 'utf8')).carriers);
    const loaded = loadRulesFromTexts('bench', RULES, { knownCarriers: known });
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
    const rules = loaded.compiled;

    // Numbers in proportion to each range's capacity: the real mix of carriers a call centre meets.
    const plan = (await new NumberingPlanRepository(db).loadActive())!;
    const cumulative: number[] = [];
    let capacity = 0;
    for (const r of plan.ranges) cumulative.push((capacity += r.to - r.from + 1));
    const random = rng(2026);
    const ended: EndedCall[] = [];
    const carriers = new Map<string, number>();
    for (let i = 0; i < CALLS; i += 1) {
      const x = Math.floor(random() * capacity);
      let lo = 0;
      let hi = cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid]! > x) hi = mid;
        else lo = mid + 1;
      }
      const range = plan.ranges[lo]!;
      const number = `+7${range.code}${String(range.from + Math.floor(random() * (range.to - range.from + 1))).padStart(7, '0')}`;
      const decision = decideRoute(rules, lookup, { user: '1', number, numberIsInternational: true, origin: 'crm' });
      const first = decision.attempts[0];
      if (!first) throw new Error(`no route for ${number}: ${decision.refused?.message}`);
      carriers.set(decision.carrier.key ?? 'unmapped', (carriers.get(decision.carrier.key ?? 'unmapped') ?? 0) + 1);
      // Talk time: exponential, 90 s on average, at least 1 s, at most 30 min; every call answered on its first attempt.
      const durationSec = Math.min(1800, Math.max(1, Math.round(-90 * Math.log(1 - random()))));
      const startedAt = T0 + i * 2_000;
      const increment = rules.trunkById.get(first.trunk)?.trunk.tariffs.increment ?? PER_MINUTE;
      ended.push({
        call: {
          id: `dist-${i}`, crmCallId: null, channelId: null, linkedid: `dist-${i}`, origin: 'crm', userId: '1', extension: '100', number, numberE164: number,
          line: null, state: 'ended', plan: planOf(decision, rules), refusalCode: null, refusalMessage: null, startedAt,
        },
        statusCode: '200', failedReason: null, trunkId: first.trunk, b24Line: null, answeredAt: startedAt + 5000, endedAt: startedAt + 5000 + durationSec * 1000,
        durationSec, cost: callCost(first.perMinute, durationSec, increment), recording: null, tracked: {}, crmHandoff: 'done', newAttempts: [], attemptOutcomes: [],
      });
    }
    const store = new CallsRepository(db, () => T0);
    for (let i = 0; i < ended.length; i += 200) await store.applyTracking({ save: [], remove: [], ended: ended.slice(i, i + 200) });

    const report = savingsToJson(await buildSavingsReport({ source: new CallCostRepository(db), rules: () => rules }, T0, T0 + 86_400_000, 'carrier'));
    const mix = [...carriers].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${((n / CALLS) * 100).toFixed(1)} %`).join(', ');
    console.log(`savings-distribution: ${CALLS.toLocaleString('en-US')} calls drawn from the real DEF-9xx.csv (${plan.ranges.length.toLocaleString('en-US')} ranges): ${mix}`);
    console.log(`savings-distribution: actual (routing) ${report.actualCost.toFixed(2)} RUB, all via the default trunk ${report.baselineCost.toFixed(2)} RUB, cheapest possible ${report.cheapestCost.toFixed(2)} RUB`);
    console.log(`savings-distribution: routing is ${report.baselineRatio}× cheaper than the default trunk (saving ${report.savingPct} %), and ${report.overCheapestPct} % dearer than the cheapest possible`);
    for (const a of report.advice.slice(0, 5)) console.log(`savings-distribution: advice: ${a.message}`);
  } finally {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await run();
