import type { Db } from '../adapters/db/connection.ts';
import { TrunkHealthRepository } from '../adapters/db/repositories/trunk-health-repository.ts';
import type { Logger } from '../adapters/logging/logger.ts';
import type { Metrics } from '../adapters/metrics/metrics.ts';
import { TrunkHealth, type BreakerState } from '../app/trunks/trunk-health.ts';
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
}): TrunkHealth {
  const health = new TrunkHealth({
    store: new TrunkHealthRepository(o.db),
    rules: o.rules,
    clock: o.clock ?? { now: () => Date.now() },
    logger: o.logger,
    refreshMs: TRUNK_HEALTH_REFRESH_MS,
    onChange: (trunk, state, limited) => {
      o.metrics.trunkBreakerState.set({ trunk }, GAUGE[state]);
      o.metrics.trunkSimLimited.set({ trunk }, limited ? 1 : 0);
    },
  });
  // Every trunk shows on /metrics from the start, closed until told otherwise.
  for (const t of o.rules.current().trunks) {
    o.metrics.trunkBreakerState.set({ trunk: t.id }, 0);
    o.metrics.trunkSimLimited.set({ trunk: t.id }, 0);
  }
  return health;
}
