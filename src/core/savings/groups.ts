import type { CallCostGroup } from './types.ts';

function keyOf(g: CallCostGroup, days: boolean): string {
  return JSON.stringify([days ? g.day : null, g.trunk, g.department, g.carrier, g.onNet, g.country, g.prefix]);
}

/**
 * Groups with the same trunk, department and destination (and day, unless `days` is false) added
 * into one: the same calls read from daily totals and from the calls themselves, or a period's days
 * taken together, make the same groups.
 */
export function mergeCallCostGroups(groups: readonly CallCostGroup[], days = true): CallCostGroup[] {
  const out = new Map<string, { -readonly [K in keyof CallCostGroup]: CallCostGroup[K] } & { billedSec: Record<string, number> }>();
  for (const g of groups) {
    const key = keyOf(g, days);
    const m = out.get(key);
    if (!m) {
      out.set(key, { ...g, day: days ? g.day : null, billedSec: { ...g.billedSec } });
      continue;
    }
    m.calls += g.calls;
    m.talkSec += g.talkSec;
    m.actualUnits += g.actualUnits;
    for (const [inc, sec] of Object.entries(g.billedSec)) m.billedSec[inc] = (m.billedSec[inc] ?? 0) + sec;
  }
  return [...out.values()];
}
