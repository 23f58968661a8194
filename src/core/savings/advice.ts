import { policyDepartment, type CompiledRules, type CompiledTrunk } from '../rules/compile.ts';
import { priceFor } from './destination.ts';
import { formatRub, unitsOf } from './money.ts';
import type { AdviceKind, CallCostGroup, SavingsAdvice } from './types.ts';

/** A group of calls with the trunk that carried it and the cheapest trunk for its destination. */
export interface PricedGroup {
  readonly group: CallCostGroup;
  readonly carrying: CompiledTrunk | null;
  readonly cheapest: CompiledTrunk;
  readonly actualMinuteUnits: number;
  readonly cheapestMinuteUnits: number;
}

interface Pending {
  kind: AdviceKind;
  department: string | null;
  from: string;
  to: CompiledTrunk;
  calls: number;
  saving: number;
  carriers: Set<string>;
  fromPrices: Set<number>;
  toPrices: Set<number>;
}

/** Why the routing did not use the cheaper trunk, from the rules as they are now. */
function classify(p: PricedGroup, rules: CompiledRules): AdviceKind {
  const g = p.group;
  const policy = g.department === null ? null : (policyDepartment(g.department, rules.departmentById)?.policy ?? null);
  if (policy !== null && !policy.trunks.includes(p.cheapest.id)) return 'not-allowed';
  if (g.onNet !== null && p.cheapest.trunk.carrier === g.onNet) return 'off-net';
  const hasGateway = g.onNet !== null && rules.trunks.some((ct) => ct.trunk.enabled && ct.trunk.carrier === g.onNet);
  if (!hasGateway && policy !== null && policy.defaultTrunk === g.trunk) return 'no-gateway';
  return 'routing-order';
}

function price(prices: ReadonlySet<number>): number | null {
  return prices.size === 1 ? [...prices][0]! : null;
}

function priceText(p: number | null): string {
  return p === null ? 'various prices' : `${p.toFixed(2)}/min`;
}

function message(a: Omit<SavingsAdvice, 'message' | 'rule'>, rule: string): string {
  const carriers = a.carriers.join(', ');
  const saved = `${formatRub(a.savingUnits)} ₽`;
  const from = `${a.fromTrunk} at ${priceText(a.fromPerMinute)}`;
  const to = `${a.toTrunk} at ${priceText(a.toPerMinute)}`;
  const dept = a.departmentName ?? a.department ?? 'an unknown department';
  switch (a.kind) {
    case 'no-gateway':
      return `${a.calls} calls to carriers without a gateway (${carriers}) went through ${from}; ${to} would have saved ${saved} (rules: ${rule})`;
    case 'off-net':
      return `${a.calls} calls to ${carriers} went off-net through ${from} while ${a.toTrunk} was busy, failing or out of routes: another ${carriers} SIM at ${priceText(a.toPerMinute)} would have saved ${saved} (rules: ${rule})`;
    case 'not-allowed':
      return `${a.calls} calls from ${dept} to ${carriers} went through ${from}; ${to} would have saved ${saved}, but the department may not use it (rules: ${rule})`;
    case 'routing-order':
      return `${a.calls} calls to ${carriers} went through ${from} although ${to} is allowed and would have saved ${saved} (rules: ${rule})`;
  }
}

function ruleOf(kind: AdviceKind, departmentName: string, to: string): string {
  switch (kind) {
    case 'not-allowed': return `departments.yaml trunks of ${departmentName}`;
    case 'no-gateway': return `departments.yaml defaultTrunk of ${departmentName}`;
    case 'off-net': return `trunks.yaml ${to} channels, or another gateway with a ${to} SIM`;
    case 'routing-order': return 'masks.yaml and trunk priorities in trunks.yaml';
  }
}

/**
 * What would save more: calls that cost more than through the cheapest trunk for their
 * destination, grouped by why the routing did not use it and by the trunk pair; largest saving first.
 */
export function adviseSavings(groups: readonly PricedGroup[], rules: CompiledRules): SavingsAdvice[] {
  const pending = new Map<string, Pending>();
  for (const p of groups) {
    const g = p.group;
    if (p.actualMinuteUnits <= p.cheapestMinuteUnits || g.trunk === p.cheapest.id) continue;
    const kind = classify(p, rules);
    const from = g.trunk ?? 'unknown';
    const key = `${kind}|${g.department ?? ''}|${from}|${p.cheapest.id}`;
    let a = pending.get(key);
    if (!a) {
      a = { kind, department: g.department, from, to: p.cheapest, calls: 0, saving: 0, carriers: new Set(), fromPrices: new Set(), toPrices: new Set() };
      pending.set(key, a);
    }
    a.calls += g.calls;
    a.saving += p.actualMinuteUnits - p.cheapestMinuteUnits;
    a.carriers.add(g.carrier ?? 'unknown');
    if (p.carrying) a.fromPrices.add(priceFor(p.carrying, g));
    a.toPrices.add(priceFor(p.cheapest, g));
  }
  const out: SavingsAdvice[] = [];
  for (const a of pending.values()) {
    const departmentName = a.department === null ? null : (rules.departmentById.get(a.department)?.name ?? null);
    const base = {
      kind: a.kind, department: a.department, departmentName, carriers: [...a.carriers].sort(), calls: a.calls,
      fromTrunk: a.from, fromPerMinute: price(a.fromPrices), toTrunk: a.to.id, toPerMinute: price(a.toPrices), savingUnits: unitsOf(a.saving),
    };
    if (base.savingUnits <= 0) continue;
    const rule = ruleOf(a.kind, departmentName ?? a.department ?? 'the department', a.to.id);
    out.push({ ...base, rule, message: message(base, rule) });
  }
  return out.sort((x, y) => y.savingUnits - x.savingUnits || x.calls - y.calls);
}
