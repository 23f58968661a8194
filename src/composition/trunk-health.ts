import type { Db } from '../adapters/db/connection.ts';
import { TrunkHealthRepository } from '../adapters/db/repositories/trunk-health-repository.ts';
import type { Logger } from '../adapters/logging/logger.ts';
import type { Metrics } from '../adapters/metrics/metrics.ts';
import { TrunkHealth, type BreakerState } from '../app/trunks/trunk-health.ts';
import type { Alerts } from '../app/alerts/alerts.ts';
import { NO_CREDIT_CAUSE } from '../core/health/breaker.ts';
import { failureSummary } from '../core/health/describe.ts';
import type { Failure } from '../core/health/snapshot.ts';
import type { CompiledRules } from '../core/rules/compile.ts';

/** The snapshot routes read is at most this old (instances share health through the database). */
export const TRUNK_HEALTH_REFRESH_MS = 1000;

const GAUGE: Readonly<Record<BreakerState, number>> = { closed: 0, 'half-open': 1, open: 2 };

/** Trunk health counted from the database, its state changes on /metrics. Call start() before routing. */
export function buildTrunkHealth(o: {
  readonly db: Db;
  readonly rules: { current(): CompiledRules };
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock?: { now(): number };
  /** Breaker changes become admin alerts. */
  readonly alerts?: Alerts;
}): TrunkHealth {
  const health = new TrunkHealth({
    store: new TrunkHealthRepository(o.db),
    rules: o.rules,
    clock: o.clock ?? { now: () => Date.now() },
    logger: o.logger,
    refreshMs: TRUNK_HEALTH_REFRESH_MS,
    onChange: (trunk, state, limited, failures) => {
      o.metrics.trunkBreakerState.set({ trunk }, GAUGE[state]);
      o.metrics.trunkSimLimited.set({ trunk }, limited ? 1 : 0);
      if (o.alerts) breakerAlert(o.alerts, trunk, state, failures);
    },
  });
  // Every trunk shows on /metrics from the start, closed until told otherwise.
  for (const t of o.rules.current().trunks) {
    o.metrics.trunkBreakerState.set({ trunk: t.id }, 0);
    o.metrics.trunkSimLimited.set({ trunk: t.id }, 0);
  }
  return health;
}

/**
 * An opened breaker is an alert until it closes again (half-open is still out of order): "SIM out
 * of credit" when a failure carried Q.850 68, a plain breaker alert otherwise.
 */
function breakerAlert(alerts: Alerts, trunk: string, state: BreakerState, failures: readonly Failure[]): void {
  if (state === 'closed') {
    alerts.clear('sim-credit', trunk);
    alerts.clear('trunk-breaker', trunk);
  } else if (state === 'open') {
    const credit = failures.some((f) => f.cause === NO_CREDIT_CAUSE);
    alerts.raise(credit
      ? { kind: 'sim-credit', subject: trunk, message: `trunk ${trunk}: the SIM reports no credit (cause 68); out of routes until a trial call succeeds` }
      : { kind: 'trunk-breaker', subject: trunk, message: `trunk ${trunk}: breaker open after ${failureSummary(failures)}; out of routes until a trial call succeeds` });
  }
}
