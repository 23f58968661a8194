import type { CompiledRules, CompiledTrunk } from '../rules/compile.ts';
import { incrementText, PER_MINUTE, type Increment } from '../rules/billing.ts';
import { perMinute } from '../routing/price.ts';
import { minuteUnits } from './money.ts';
import type { CallCostGroup } from './types.ts';

/** Leading digits the database keeps of each callee: enough for every prefix tariff, and for the zone. */
export function prefixDigitsFor(rules: CompiledRules): number {
  let longest = 2;
  for (const ct of rules.trunks) for (const p of ct.prefixTariffs) longest = Math.max(longest, p.prefix.length);
  return longest;
}

export function incrementOf(ct: CompiledTrunk | undefined): Increment {
  return ct?.trunk.tariffs.increment ?? PER_MINUTE;
}

/** Every increment a configured trunk bills with (the database sums billed seconds under each). */
export function incrementsOf(rules: CompiledRules): Increment[] {
  const out = new Map<string, Increment>([[incrementText(PER_MINUTE), PER_MINUTE]]);
  for (const ct of rules.trunks) {
    const i = incrementOf(ct);
    out.set(incrementText(i), i);
  }
  return [...out.values()];
}

/** One destination: what a trunk's price depends on. */
export function destinationKey(g: CallCostGroup): string {
  return `${g.carrier ?? ''}|${g.onNet ?? ''}|${g.country ?? ''}|${g.prefix}`;
}

/** Whether a trunk could carry calls to this destination at all (the routing core's static checks). */
export function canCarry(ct: CompiledTrunk, g: CallCostGroup, defaultCountry: string): boolean {
  const t = ct.trunk;
  if (!t.enabled || ct.allNumbersDisabled) return false;
  const international = g.country !== null && g.country !== defaultCountry;
  if (international && t.kind === 'gsm' && !t.international) return false;
  if (t.numberFormat === 'national-10' && !g.prefix.startsWith('7')) return false;
  return true;
}

export function priceFor(ct: CompiledTrunk, g: CallCostGroup): number {
  return perMinute(ct, g.prefix, g.carrier, g.onNet);
}

/** What these calls cost (or would have) through this trunk, in minute-units (money.ts). */
export function groupCostVia(ct: CompiledTrunk, g: CallCostGroup): number {
  const billed = g.billedSec[incrementText(incrementOf(ct))] ?? 0;
  return minuteUnits(priceFor(ct, g), billed);
}

/**
 * For each destination, the one configured trunk that would have carried all its calls in the
 * period the cheapest. One trunk per destination, not per call: a route is chosen before anyone
 * knows how long the call will be. Ties go to the lower priority, then the order in trunks.yaml.
 */
export function cheapestTrunks(groups: readonly CallCostGroup[], rules: CompiledRules): Map<string, CompiledTrunk> {
  const byDest = new Map<string, CallCostGroup[]>();
  for (const g of groups) {
    const k = destinationKey(g);
    const list = byDest.get(k);
    if (list) list.push(g);
    else byDest.set(k, [g]);
  }
  const out = new Map<string, CompiledTrunk>();
  for (const [k, list] of byDest) {
    let best: CompiledTrunk | null = null;
    let bestCost = Infinity;
    for (const ct of rules.trunks) {
      if (!canCarry(ct, list[0]!, rules.defaultCountry)) continue;
      let cost = 0;
      for (const g of list) cost += groupCostVia(ct, g);
      if (cost < bestCost || (cost === bestCost && best !== null && ct.trunk.priority < best.trunk.priority)) {
        best = ct;
        bestCost = cost;
      }
    }
    if (best !== null) out.set(k, best);
  }
  return out;
}
