import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/adapters/db/connection.ts';
import { CallCostRepository } from '../../src/adapters/db/repositories/call-cost-repository.ts';
import { CallsRepository } from '../../src/adapters/db/repositories/calls-repository.ts';
import { readCallCostShape } from '../../src/adapters/db/call-cost-totals.ts';
import type { EndedCall } from '../../src/app/calls/ports.ts';
import { buildSavingsReport, callCostGroupsOf } from '../../src/app/savings/build-report.ts';
import { buildSavingsViews } from '../../src/app/savings/build-views.ts';
import { savingsToJson } from '../../src/app/savings/render.ts';
import type { CompiledRules } from '../../src/core/rules/compile.ts';
import type { CallCostGroup, SavingsGroupBy } from '../../src/core/savings/types.ts';
import { DESTINATIONS, endedTestCall, savingsRules, TEST_TARIFFS, type TestDest } from './savings-fixtures.ts';

// The totals last: emptying calls first takes every call out of them; without a shape the next report builds them anew.
export const SAVINGS_TABLES = ['call_tracking', 'call_attempts', 'calls', 'call_cost_totals', 'call_cost_shape'];

export interface SavingsDbHandle {
  readonly db: Db;
  clean(): Promise<void>;
  close(): Promise<void>;
}

const HOUR = 3_600_000;
// Periods in Moscow time (UTC+3): 2026-11-02 00:00 MSK … 2026-11-05 00:00 MSK.
const FROM = Date.UTC(2026, 10, 1, 21);
const TO = Date.UTC(2026, 10, 4, 21);

interface TestCall {
  readonly id: string;
  readonly department: string | null;
  readonly dest: TestDest;
  readonly trunk: string;
  readonly durationSec: number;
  readonly startedAt: number;
  /** Roubles, as the tracker stores it; null = no tariff known. */
  readonly cost: number | null;
}

/** Billed seconds, written out here independently of the product's code. */
function billed(d: number, first: number, step: number): number {
  if (d <= 0) return 0;
  return d <= first ? first : first + Math.ceil((d - first) / step) * step;
}

/** Price × billed seconds in ten-thousandths of a rouble × 60 (kept exact). */
function minuteUnits(trunk: string, dest: TestDest, d: number): number {
  const t = TEST_TARIFFS[trunk]!;
  return Math.round(t.price(dest) * 10_000) * billed(d, t.first, t.step);
}

/** A seeded generator, so every run stores the same calls. */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
}

/** Calls as the routing would have sent them, spread over five days around the period. */
function makeCalls(n: number): TestCall[] {
  const r = rng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const out: TestCall[] = [];
  for (let i = 0; i < n; i += 1) {
    const department = pick(['10', '10', '10', '20', null] as const);
    let dest = pick(DESTINATIONS);
    if (department === '20' && dest.country !== 'RU') dest = DESTINATIONS[0]!;
    let trunk: string;
    if (department === '20') trunk = 'gsm-beeline';
    else if (department === null || dest.country !== 'RU') trunk = 'sip-uni';
    else if (dest.carrier === 'mts') trunk = r() < 0.75 ? 'gsm-mts' : 'gsm-beeline'; // gsm-mts busy: rotated
    else if (dest.carrier === null) trunk = r() < 0.5 ? 'sip-uni' : 'gsm-beeline';
    else trunk = 'gsm-beeline'; // beeline on-net; tele2 and megafon: no gateway, the default trunk
    const durationSec = r() < 0.1 ? 0 : 1 + Math.floor(r() * 400);
    const startedAt = FROM - 12 * HOUR + Math.floor(r() * 96 * HOUR);
    const cost = i % 37 === 0 ? null : Math.round(minuteUnits(trunk, dest, durationSec) / 60) / 10_000;
    out.push({ id: `sv-${i}`, department, dest, trunk, durationSec, startedAt, cost });
  }
  return out;
}

function ended(c: TestCall): EndedCall {
  return endedTestCall(c, c.cost);
}

/** The report's definitions, computed here from the calls themselves. */
function expected(calls: readonly TestCall[]) {
  const counted = calls.filter((c) => c.startedAt >= FROM && c.startedAt < TO && c.durationSec > 0 && c.cost !== null);
  const actualOf = (c: TestCall) => Math.round(c.cost! * 10_000);
  const baselineMu = (c: TestCall) => (c.department !== null && c.dest.country === 'RU' ? minuteUnits('gsm-beeline', c.dest, c.durationSec) : actualOf(c) * 60);
  // The one trunk per destination that would have carried all of its calls the cheapest.
  const destKey = (c: TestCall) => `${c.dest.carrier}|${c.dest.country}|${c.dest.number.slice(1, 5)}`;
  const best = new Map<string, string>();
  for (const key of new Set(counted.map(destKey))) {
    const those = counted.filter((c) => destKey(c) === key);
    let bestTrunk = '';
    let bestCost = Infinity;
    for (const trunk of Object.keys(TEST_TARIFFS)) {
      if (!TEST_TARIFFS[trunk]!.canCarry(those[0]!.dest)) continue;
      const cost = those.reduce((s, c) => s + minuteUnits(trunk, c.dest, c.durationSec), 0);
      if (cost < bestCost) [bestTrunk, bestCost] = [trunk, cost];
    }
    best.set(key, bestTrunk);
  }
  const cheapestMu = (c: TestCall) => minuteUnits(best.get(destKey(c))!, c.dest, c.durationSec);
  const sum = (xs: readonly TestCall[], f: (c: TestCall) => number) => xs.reduce((s, c) => s + f(c), 0);
  const totals = (xs: readonly TestCall[]) => ({
    calls: xs.length,
    actualCost: sum(xs, actualOf) / 10_000,
    baselineCost: Math.round(sum(xs, baselineMu) / 60) / 10_000,
    cheapestCost: Math.round(sum(xs, cheapestMu) / 60) / 10_000,
  });
  return { counted, best, totals, actualOf, cheapestMu };
}

const BY: readonly SavingsGroupBy[] = ['trunk', 'department', 'carrier', 'day'];

/** Groups in a stable order, to compare two ways of adding up the same calls. */
function sorted(groups: readonly CallCostGroup[]): CallCostGroup[] {
  const key = (g: CallCostGroup) => JSON.stringify([g.day, g.trunk, g.department, g.carrier, g.onNet, g.country, g.prefix]);
  return [...groups].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * The report as the product builds it (whole days from the daily totals) and as the calls alone
 * give it (every call added up): groups and every figure of the report must be equal.
 */
async function bothWays(db: Db, rules: CompiledRules, from: number, to: number, by: SavingsGroupBy) {
  const repo = new CallCostRepository(db);
  const raw = { callCostGroups: repo.rawCallCostGroups.bind(repo) };
  const deps = { source: repo, rules: () => rules };
  const rawDeps = { source: raw, rules: () => rules };
  return {
    groups: sorted(await callCostGroupsOf(deps, rules, from, to, by === 'day')),
    rawGroups: sorted(await callCostGroupsOf(rawDeps, rules, from, to, by === 'day')),
    report: savingsToJson(await buildSavingsReport(deps, from, to, by)),
    rawReport: savingsToJson(await buildSavingsReport(rawDeps, from, to, by)),
  };
}

/**
 * The savings report over stored calls, the same on SQLite and PostgreSQL: its totals, lines and
 * advice against figures this test computes from the calls it stored.
 */
export function savingsContract(label: string, open: () => Promise<SavingsDbHandle>): void {
  describe(`savings report on ${label}`, () => {
    let handle: SavingsDbHandle;
    let rules: CompiledRules;
    const calls = makeCalls(700);
    const exp = expected(calls);
    const report = (groupBy: 'trunk' | 'department' | 'carrier' | 'day') =>
      buildSavingsReport({ source: new CallCostRepository(handle.db), rules: () => rules }, FROM, TO, groupBy).then(savingsToJson);

    beforeAll(async () => {
      handle = await open();
      await handle.clean();
      rules = savingsRules();
      const repo = new CallsRepository(handle.db, () => TO);
      for (let i = 0; i < calls.length; i += 100) {
        await repo.applyTracking({ save: [], remove: [], ended: calls.slice(i, i + 100).map(ended) });
      }
    });
    afterAll(async () => {
      await handle.close();
    });

    it('totals: actual cost as stored, the default-trunk baseline and the cheapest possible, for answered calls of the period only', async () => {
      const r = await report('trunk');
      const t = exp.totals(exp.counted);
      expect(t.calls).toBeGreaterThan(300);
      expect({ calls: r.calls, actualCost: r.actualCost, baselineCost: r.baselineCost, cheapestCost: r.cheapestCost }).toEqual(t);
      expect(r.saving).toBeCloseTo(t.baselineCost - t.actualCost, 4);
      expect(r.savingPct).toBe(Math.round(((t.baselineCost - t.actualCost) / t.baselineCost) * 1000) / 10);
      expect(r.callsWithoutBaseline).toBe(exp.counted.filter((c) => c.department === null || c.dest.country !== 'RU').length);
      expect(r.talkSeconds).toBe(exp.counted.reduce((s, c) => s + c.durationSec, 0));
    });

    it('by department: each department its own figures', async () => {
      const r = await report('department');
      for (const dep of ['10', '20', null]) {
        const line = r.groups.find((g) => g.key === (dep ?? 'unknown'));
        const t = exp.totals(exp.counted.filter((c) => c.department === dep));
        expect({ calls: line?.calls, actualCost: line?.actualCost, baselineCost: line?.baselineCost, cheapestCost: line?.cheapestCost }).toEqual(t);
      }
      expect(r.groups.find((g) => g.key === '10')?.name).toBe('Sales');
    });

    it('by day: days as Moscow counts them, three in the period', async () => {
      const r = await report('day');
      expect(r.groups.map((g) => g.key)).toEqual(['2026-11-02', '2026-11-03', '2026-11-04']);
      const day2 = exp.counted.filter((c) => c.startedAt >= FROM + 24 * HOUR && c.startedAt < FROM + 48 * HOUR);
      expect(r.groups[1]?.actualCost).toBe(exp.totals(day2).actualCost);
      expect(r.groups.reduce((s, g) => s + g.calls, 0)).toBe(exp.counted.length);
    });

    it('by carrier and by trunk: the stored cost adds up per line', async () => {
      const byCarrier = await report('carrier');
      const tele2 = exp.counted.filter((c) => c.dest.carrier === 'tele2');
      expect(byCarrier.groups.find((g) => g.key === 'tele2')?.actualCost).toBe(exp.totals(tele2).actualCost);
      const byTrunk = await report('trunk');
      const mts = exp.counted.filter((c) => c.trunk === 'gsm-mts');
      expect(byTrunk.groups.find((g) => g.key === 'gsm-mts')).toMatchObject({ calls: mts.length, actualCost: exp.totals(mts).actualCost });
    });

    it('advice: carriers without a gateway through the default trunk, trunks a department may not use, on-net calls gone off-net', async () => {
      const r = await report('trunk');
      const noGateway = r.advice.find((a) => a.kind === 'no-gateway' && a.department === '10' && a.fromTrunk === 'gsm-beeline' && a.toTrunk === 'sip-uni');
      const those = exp.counted.filter((c) => c.department === '10' && c.trunk === 'gsm-beeline' && c.dest.carrier !== 'mts' && c.dest.carrier !== 'beeline');
      // Landlines have no gateway either; sip-uni's price differs between them and mobiles.
      expect(noGateway).toMatchObject({ calls: those.length, carriers: ['megafon', 'tele2', 'unknown'], fromPerMinute: 1.5, toPerMinute: null });
      const saving = those.reduce((s, c) => s + exp.actualOf(c) * 60 - exp.cheapestMu(c), 0);
      expect(noGateway?.saving).toBe(Math.round(saving / 60) / 10_000);
      expect(noGateway?.message).toContain('departments.yaml defaultTrunk of Sales');
      expect(r.advice.find((a) => a.kind === 'not-allowed' && a.department === '20' && a.toTrunk === 'gsm-mts')).toBeDefined();
      expect(r.advice.find((a) => a.kind === 'off-net' && a.fromTrunk === 'gsm-beeline' && a.toTrunk === 'gsm-mts')?.carriers).toEqual(['mts']);
      for (const a of r.advice) expect(a.saving).toBeGreaterThan(0);
      const savings = r.advice.map((a) => a.saving);
      expect(savings).toEqual([...savings].sort((a, b) => b - a));
    });

    it('a period with no calls reports zeros and no advice', async () => {
      const r = await buildSavingsReport({ source: new CallCostRepository(handle.db), rules: () => rules }, TO + 30 * 24 * HOUR, TO + 31 * 24 * HOUR, 'carrier').then(savingsToJson);
      expect(r).toMatchObject({ calls: 0, actualCost: 0, baselineCost: 0, savingPct: 0, groups: [], advice: [] });
    });

    it('whole days from the daily totals and the hours around them from the calls give what the calls alone give', async () => {
      const periods: [number, number][] = [
        [FROM, TO], // whole Moscow days
        [FROM + 5 * HOUR, TO - 7 * HOUR], // partial first and last days
        [FROM - 12 * HOUR, TO + 30 * 60_000], // every stored call, a partial hour at the end
        [FROM + 5 * HOUR + 17 * 60_000, TO - 7 * HOUR - 3 * 60_000], // partial hours on both sides
        [FROM + 10 * 60_000, FROM + 50 * 60_000], // no whole day in it
        [FROM + 2 * HOUR, FROM + 26 * HOUR], // a day's length, no whole day in it
      ];
      for (const [from, to] of periods) {
        for (const by of BY) {
          const r = await bothWays(handle.db, rules, from, to, by);
          expect(r.groups).toEqual(r.rawGroups);
          expect(r.report).toEqual(r.rawReport);
        }
      }
      expect((await bothWays(handle.db, rules, FROM, TO, 'trunk')).report.calls).toBe(exp.counted.length);
    });

    it('the console page: one pass by day, priced four ways, equals each report asked alone', async () => {
      const views = await buildSavingsViews({ source: new CallCostRepository(handle.db), rules: () => rules }, FROM, TO, 'trunk');
      expect(savingsToJson(views.report)).toEqual(await report('trunk'));
      expect(savingsToJson(views.byDay)).toEqual(await report('day'));
      expect(savingsToJson(views.byCarrier)).toEqual(await report('carrier'));
      expect(savingsToJson(views.byDepartment)).toEqual(await report('department'));
    });
  });

  describe(`daily totals of call costs on ${label}`, () => {
    let handle: SavingsDbHandle;
    let repo: CallsRepository;
    const D2 = FROM + 24 * HOUR; // 2026-11-03 00:00 Moscow
    const call = (id: string, department: string, dest: TestDest, trunk: string, durationSec: number, startedAt: number): TestCall => ({
      id, department, dest, trunk, durationSec, startedAt, cost: Math.round(minuteUnits(trunk, dest, durationSec) / 60) / 10_000,
    });
    const [mts, , beeline, tele2, , moscowLandline] = DESTINATIONS as [TestDest, TestDest, TestDest, TestDest, TestDest, TestDest];
    // 23:59:30 on 2 November in Moscow, talking two minutes into the 3rd.
    const midnight = call('dt-midnight', '10', tele2, 'gsm-beeline', 120, D2 - 30_000);
    const offNet = call('dt-off-net', '10', mts, 'gsm-beeline', 61, D2 + 12 * HOUR);
    const again = call('dt-again', '20', beeline, 'gsm-beeline', 30, D2 + 15 * HOUR);
    const landline = call('dt-landline', '10', moscowLandline, 'sip-uni', 200, D2 + 36 * HOUR);
    const finish = (...cs: TestCall[]) => repo.applyTracking({ save: [], remove: [], ended: cs.map(ended) });
    const equalBothWays = async (rules: CompiledRules, from: number, to: number) => {
      for (const by of BY) {
        const r = await bothWays(handle.db, rules, from, to, by);
        expect(r.groups).toEqual(r.rawGroups);
        expect(r.report).toEqual(r.rawReport);
      }
    };

    beforeAll(async () => {
      handle = await open();
      await handle.clean();
      repo = new CallsRepository(handle.db, () => TO);
      await finish(midnight, offNet, again, landline);
    });
    afterAll(async () => {
      await handle.close();
    });

    it('a call spanning midnight in the rules\' zone counts on the day it started', async () => {
      const rules = savingsRules();
      const byDay = await bothWays(handle.db, rules, FROM, TO, 'day');
      expect(byDay.report.groups.map((g) => [g.key, g.calls])).toEqual([['2026-11-02', 1], ['2026-11-03', 2], ['2026-11-04', 1]]);
      expect(byDay.report).toEqual(byDay.rawReport);
      const nov2 = await bothWays(handle.db, rules, FROM, D2, 'trunk');
      expect(nov2.report).toMatchObject({ calls: 1, talkSeconds: 120, actualCost: midnight.cost });
      expect((await bothWays(handle.db, rules, D2, D2 + 24 * HOUR, 'trunk')).report).toMatchObject({ calls: 2, talkSeconds: 61 + 30 });
      await equalBothWays(rules, FROM, TO);
    });

    it('a call finished again counts once, with its last duration and cost', async () => {
      const rules = savingsRules();
      await finish(again);
      await finish(again, again); // a retried batch naming it twice
      expect((await bothWays(handle.db, rules, FROM, TO, 'trunk')).report).toMatchObject({ calls: 4, talkSeconds: 120 + 61 + 30 + 200 });
      const longer = call(again.id, '20', beeline, 'gsm-beeline', 90, again.startedAt);
      await finish(longer);
      const r = await bothWays(handle.db, rules, FROM, TO, 'trunk');
      expect(r.report).toMatchObject({ calls: 4, talkSeconds: 120 + 61 + 90 + 200 });
      expect(r.report.actualCost).toBe([midnight, offNet, longer, landline].reduce((sum, c) => sum + Math.round(c.cost! * 10_000), 0) / 10_000);
      await equalBothWays(rules, FROM, TO);
      await equalBothWays(rules, FROM + 5 * HOUR, TO - 7 * HOUR);
    });

    it('a tariff change: stored costs stay, the baseline follows the new tariff; longer prefixes and a new increment rebuild the totals', async () => {
      const before = (await bothWays(handle.db, savingsRules(), FROM, TO, 'trunk')).report;
      // gsm-beeline cheaper and billed 30/6; sip-uni with a five-digit prefix tariff.
      const rules = savingsRules((f) => {
        f['trunks.yaml'] = f['trunks.yaml']!
          .replace('byCarrier: { beeline: 0.2 }, default: 1.5, increment: 60/1', 'byCarrier: { beeline: 0.2 }, default: 1.1, increment: 30/6')
          .replace("byPrefix: { '7495': 0.4 }", "byPrefix: { '7495': 0.4, '74951': 0.3 }");
      });
      const after = await bothWays(handle.db, rules, FROM, TO, 'trunk');
      expect(after.report).toEqual(after.rawReport);
      expect(after.report.actualCost).toBe(before.actualCost);
      const b = (d: number) => (d <= 30 ? 30 : 30 + Math.ceil((d - 30) / 6) * 6);
      const baselineMu = 11_000 * (b(120) + b(61) + b(200)) + 2_000 * b(90);
      expect(after.report.baselineCost).toBe(Math.round(baselineMu / 60) / 10_000);
      const shape = await readCallCostShape(handle.db);
      expect(shape?.prefixDigits).toBe(5);
      expect(shape?.increments).toContainEqual({ first: 30, step: 6 });
      await equalBothWays(rules, FROM, TO);
      await equalBothWays(rules, FROM + 5 * HOUR, TO - 7 * HOUR);
      // A call finished after the change joins the rebuilt totals; the old rules still read them.
      await finish(call('dt-after', '10', moscowLandline, 'sip-uni', 47, D2 + 40 * HOUR));
      await equalBothWays(rules, FROM, TO);
      await equalBothWays(savingsRules(), FROM, TO);
      expect((await bothWays(handle.db, rules, FROM, TO, 'trunk')).report.calls).toBe(5);
    });

    it('days in another time zone: a report by day rebuilds the totals at its day boundaries; other reports read them as they are', async () => {
      const zone = (name: string) => savingsRules((f) => {
        f['routing.yaml'] = `timezone: ${name}\n`;
      });
      const from = Date.UTC(2026, 10, 1, 19); // 2 November 00:00 in Yekaterinburg (UTC+5)
      const byTrunk = await bothWays(handle.db, zone('Asia/Yekaterinburg'), from, from + 72 * HOUR, 'trunk');
      expect(byTrunk.report).toEqual(byTrunk.rawReport);
      expect((await readCallCostShape(handle.db))?.offsetMs).toBe(3 * HOUR);
      const r = await bothWays(handle.db, zone('Asia/Yekaterinburg'), from, from + 72 * HOUR, 'day');
      expect(r.report.groups.map((g) => g.key)).toEqual(['2026-11-03', '2026-11-04']);
      expect(r.report).toEqual(r.rawReport);
      expect((await readCallCostShape(handle.db))?.offsetMs).toBe(5 * HOUR);
      await equalBothWays(zone('Asia/Yekaterinburg'), from, from + 72 * HOUR);
      // India, UTC+5:30: days start on a half hour.
      const kolkata = Date.UTC(2026, 10, 1, 18, 30);
      await equalBothWays(zone('Asia/Kolkata'), kolkata, kolkata + 72 * HOUR);
      await equalBothWays(zone('Asia/Kolkata'), kolkata + 20 * 60_000, kolkata + 50 * HOUR);
      await equalBothWays(savingsRules(), FROM, TO);
    });
  });
}
