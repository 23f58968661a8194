import { policyDepartment, type CompiledRules, type CompiledTrunk } from '../rules/compile.ts';
import { incrementText } from '../rules/billing.ts';
import { dayText } from './calendar.ts';
import { adviseSavings, type PricedGroup } from './advice.ts';
import { mergeCallCostGroups } from './groups.ts';
import { canCarry, cheapestTrunks, destinationKey, groupCostVia, incrementOf } from './destination.ts';
import { unitsOf } from './money.ts';
import type { CallCostGroup, SavingsFigures, SavingsGroupBy, SavingsLine, SavingsReport } from './types.ts';

export interface SavingsPeriod {
  readonly from: number;
  readonly to: number;
  readonly groupBy: SavingsGroupBy;
}

/** The department's default trunk (its own policy, else the nearest ancestor's), if it can carry these calls. */
function baselineTrunk(g: CallCostGroup, rules: CompiledRules): CompiledTrunk | null {
  if (g.department === null) return null;
  const holder = policyDepartment(g.department, rules.departmentById);
  const id = holder?.policy?.defaultTrunk ?? null;
  const ct = id === null ? undefined : rules.trunkById.get(id);
  return ct !== undefined && canCarry(ct, g, rules.defaultCountry) ? ct : null;
}

function lineKey(g: CallCostGroup, by: SavingsGroupBy): string {
  switch (by) {
    case 'trunk': return g.trunk ?? 'unknown';
    case 'department': return g.department ?? 'unknown';
    case 'carrier': return g.carrier ?? 'unknown';
    case 'day': return g.day === null ? 'unknown' : dayText(g.day);
  }
}

function lineName(key: string, by: SavingsGroupBy, rules: CompiledRules): string | null {
  if (by === 'department') return rules.departmentById.get(key)?.name ?? null;
  if (by === 'trunk') return rules.trunkById.get(key)?.trunk.name ?? null;
  return null;
}

/** Running sums in minute-units (exact integers) until a figure is shown. */
interface Sums { calls: number; talkSec: number; billedSec: number; actual: number; baseline: number; cheapest: number }

const zero = (): Sums => ({ calls: 0, talkSec: 0, billedSec: 0, actual: 0, baseline: 0, cheapest: 0 });

function figures(s: Sums): SavingsFigures {
  return {
    calls: s.calls, talkSec: s.talkSec, billedSec: s.billedSec,
    actualUnits: unitsOf(s.actual), baselineUnits: unitsOf(s.baseline), cheapestUnits: unitsOf(s.cheapest),
  };
}

/**
 * The savings report over groups of stored calls: what the calls cost, what they would have cost
 * through their department's default trunk only (the baseline), what they would have cost through
 * the cheapest configured trunk for each destination, and where the difference went (advice).
 * Baseline and cheapest use the current rules' tariffs; the actual cost is the one stored per call.
 */
export function savingsReportOf(groups: readonly CallCostGroup[], rules: CompiledRules, period: SavingsPeriod): SavingsReport {
  // The period's groups, days taken together: costs add up, so the cheapest trunk per destination
  // and the advice come out the same as from each day's groups, for a thirtieth of the pricing.
  const wholePeriod = mergeCallCostGroups(groups, false);
  const cheapest = cheapestTrunks(wholePeriod, rules);
  const total = zero();
  const lines = new Map<string, Sums>();
  let withoutBaseline = 0;
  for (const g of groups) {
    const carrying = g.trunk === null ? undefined : rules.trunkById.get(g.trunk);
    const actual = g.actualUnits * 60;
    const base = baselineTrunk(g, rules);
    if (base === null) withoutBaseline += g.calls;
    const baseline = base === null ? actual : groupCostVia(base, g);
    const best = cheapest.get(destinationKey(g)) ?? null;
    const cheapestCost = best === null ? actual : groupCostVia(best, g);
    const billed = g.billedSec[incrementText(incrementOf(carrying))] ?? 0;
    const key = lineKey(g, period.groupBy);
    let line = lines.get(key);
    if (!line) lines.set(key, (line = zero()));
    for (const s of [total, line]) {
      s.calls += g.calls;
      s.talkSec += g.talkSec;
      s.billedSec += billed;
      s.actual += actual;
      s.baseline += baseline;
      s.cheapest += cheapestCost;
    }
  }
  // Advice compares each trunk and destination over the whole period, whatever the lines are.
  const priced: PricedGroup[] = [];
  for (const g of wholePeriod) {
    const best = cheapest.get(destinationKey(g));
    if (best === undefined) continue;
    const carrying = g.trunk === null ? null : (rules.trunkById.get(g.trunk) ?? null);
    priced.push({ group: g, carrying, cheapest: best, actualMinuteUnits: g.actualUnits * 60, cheapestMinuteUnits: groupCostVia(best, g) });
  }
  const out: SavingsLine[] = [...lines].map(([key, s]) => ({ key, name: lineName(key, period.groupBy, rules), ...figures(s) }));
  out.sort((a, b) => (period.groupBy === 'day' ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : b.actualUnits - a.actualUnits || (a.key < b.key ? -1 : 1)));
  return {
    from: period.from,
    to: period.to,
    groupBy: period.groupBy,
    total: figures(total),
    callsWithoutBaseline: withoutBaseline,
    lines: out,
    advice: adviseSavings(priced, rules),
  };
}

/** Saving against the baseline, in % of the baseline (one decimal); 0 when there is no baseline cost. */
export function savingPct(f: SavingsFigures): number {
  return f.baselineUnits === 0 ? 0 : Math.round(((f.baselineUnits - f.actualUnits) / f.baselineUnits) * 1000) / 10;
}

/** How much more than the cheapest possible the calls cost, in % (one decimal). */
export function overCheapestPct(f: SavingsFigures): number {
  return f.cheapestUnits === 0 ? 0 : Math.round(((f.actualUnits - f.cheapestUnits) / f.cheapestUnits) * 1000) / 10;
}
