import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/adapters/db/connection.ts';
import { CallCostRepository } from '../../src/adapters/db/repositories/call-cost-repository.ts';
import { CallsRepository } from '../../src/adapters/db/repositories/calls-repository.ts';
import type { EndedCall } from '../../src/app/calls/ports.ts';
import { buildSavingsReport } from '../../src/app/savings/build-report.ts';
import { buildSavingsViews } from '../../src/app/savings/build-views.ts';
import { savingsToJson } from '../../src/app/savings/render.ts';
import type { CompiledRules } from '../../src/core/rules/compile.ts';
import { DESTINATIONS, savingsRules, TEST_TARIFFS, type TestDest } from './savings-fixtures.ts';

export const SAVINGS_TABLES = ['call_tracking', 'call_attempts', 'calls'];

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
  const mobile = c.dest.carrier !== null;
  return {
    call: {
      id: c.id, crmCallId: null, channelId: null, linkedid: `L-${c.id}`, origin: 'phone', userId: null, extension: '100',
      number: c.dest.number, numberE164: c.dest.number, line: null, state: 'ended',
      plan: {
        attempts: [], manualLine: null, rotateAfterManualLine: false, maxAttempts: 5, record: true,
        carrier: c.dest.carrier, onNet: mobile ? c.dest.carrier : null, country: c.dest.country, department: c.department,
      },
      refusalCode: null, refusalMessage: null, startedAt: c.startedAt,
    },
    statusCode: c.durationSec > 0 ? '200' : '304', failedReason: null, trunkId: c.trunk, b24Line: null,
    answeredAt: c.durationSec > 0 ? c.startedAt + 5000 : null, endedAt: c.startedAt + 5000 + c.durationSec * 1000,
    durationSec: c.durationSec, cost: c.cost, recording: null, tracked: {}, crmHandoff: 'done', newAttempts: [], attemptOutcomes: [],
  };
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

    it('the console page: one pass by day, priced four ways, equals each report asked alone', async () => {
      const views = await buildSavingsViews({ source: new CallCostRepository(handle.db), rules: () => rules }, FROM, TO, 'trunk');
      expect(savingsToJson(views.report)).toEqual(await report('trunk'));
      expect(savingsToJson(views.byDay)).toEqual(await report('day'));
      expect(savingsToJson(views.byCarrier)).toEqual(await report('carrier'));
      expect(savingsToJson(views.byDepartment)).toEqual(await report('department'));
    });
  });
}
