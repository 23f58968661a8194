import type { ActiveAlert } from '../../core/alerts/alerts.ts';
import { describeBlock } from '../../core/health/describe.ts';
import type { HealthSnapshot } from '../../core/health/snapshot.ts';
import type { CompiledRules } from '../../core/rules/compile.ts';
import type { CallCountRow } from './ports.ts';

export interface Tally {
  readonly key: string;
  readonly calls: number;
}

export interface TrunkState {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly carrier: string | null;
  readonly enabled: boolean;
  /** ok | open | trial | limit | disabled */
  readonly state: string;
  readonly detail: string | null;
}

export interface Dashboard {
  readonly since: number;
  readonly totalCalls: number;
  readonly byOutcome: readonly Tally[];
  readonly byTrunk: readonly Tally[];
  readonly byDepartment: readonly Tally[];
  readonly trunks: readonly TrunkState[];
  readonly outbox: Readonly<Record<string, number>>;
  readonly checks: readonly { readonly name: string; readonly ok: boolean }[];
  readonly rulesVersion: number;
  /** Admin alerts active now, oldest first. */
  readonly alerts: readonly ActiveAlert[];
}

function tally(rows: readonly CallCountRow[], keyOf: (r: CallCountRow) => string): Tally[] {
  const m = new Map<string, number>();
  for (const r of rows) m.set(keyOf(r), (m.get(keyOf(r)) ?? 0) + r.calls);
  return [...m].map(([key, calls]) => ({ key, calls })).sort((a, b) => b.calls - a.calls || a.key.localeCompare(b.key));
}

/** A user's department as the dashboard names it: the first of the user's departments, by name. */
function departmentOf(rules: CompiledRules, userId: string | null): string {
  if (userId === null) return '—';
  const dep = rules.userById.get(userId)?.user.departments[0];
  if (dep === undefined) return '—';
  return rules.departmentById.get(dep)?.name ?? dep;
}

/** Today's calls counted three ways, and each trunk's state with the reason it is out of routes. */
export function buildDashboard(o: {
  readonly since: number;
  readonly rows: readonly CallCountRow[];
  readonly rules: CompiledRules;
  readonly rulesVersion: number;
  readonly health: HealthSnapshot;
  readonly outbox: Readonly<Record<string, number>>;
  readonly checks: readonly { readonly name: string; readonly ok: boolean }[];
  readonly alerts?: readonly ActiveAlert[];
}): Dashboard {
  const trunks = o.rules.trunks.map(({ trunk }): TrunkState => {
    const block = o.health.get(trunk.id);
    return {
      id: trunk.id, name: trunk.name, kind: trunk.kind, carrier: trunk.carrier, enabled: trunk.enabled,
      state: !trunk.enabled ? 'disabled' : block?.kind ?? 'ok',
      detail: block ? describeBlock(block, o.rules.timezone) : null,
    };
  });
  return {
    since: o.since,
    totalCalls: o.rows.reduce((n, r) => n + r.calls, 0),
    byOutcome: tally(o.rows, (r) => r.outcome),
    byTrunk: tally(o.rows, (r) => r.trunkId ?? '—'),
    byDepartment: tally(o.rows, (r) => departmentOf(o.rules, r.userId)),
    trunks,
    outbox: o.outbox,
    checks: o.checks,
    rulesVersion: o.rulesVersion,
    alerts: o.alerts ?? [],
  };
}
