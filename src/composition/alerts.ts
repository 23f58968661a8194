import type { B24Gateway } from '../adapters/bitrix24/gateway.ts';
import type { Db } from '../adapters/db/connection.ts';
import { AlertsRepository } from '../adapters/db/repositories/alerts-repository.ts';
import type { Logger } from '../adapters/logging/logger.ts';
import type { Metrics } from '../adapters/metrics/metrics.ts';
import { Alerts } from '../app/alerts/alerts.ts';
import { bitrix24Notifier } from '../app/alerts/b24-notifier.ts';
import type { BreakerState } from '../app/trunks/trunk-health.ts';
import type { Env } from '../config/env.ts';

export { watchAmi } from '../app/alerts/ami-watch.ts';

/**
 * The admin alerts, stored in the database: /metrics and the dashboard of every instance read them;
 * the leader tells ALERT_B24_USERS (when set) what is due, at once for its own and every
 * ALERT_POLL_MS for those stored elsewhere. Call `stop()` before the database closes.
 */
export function buildAlerts(o: {
  readonly db: Db;
  readonly env: Readonly<Env>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The connected portal (null while none is). */
  readonly gateway: () => B24Gateway | null;
  readonly isLeader: () => boolean;
  /** What the leader sees now, to clear conditions that ended unseen (null until that part is built). */
  readonly seen: () => { readonly amiConnected: boolean | null; readonly breakers: ReadonlyMap<string, BreakerState> | null };
  readonly clock?: { now(): number };
}): { readonly alerts: Alerts; stop(): Promise<void> } {
  const userIds = o.env.ALERT_B24_USERS.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const alerts = new Alerts({
    store: new AlertsRepository(o.db),
    clock: o.clock ?? { now: () => Date.now() },
    repeatMs: o.env.ALERT_REPEAT_MIN * 60_000,
    notifier: userIds.length > 0 ? bitrix24Notifier({ gateway: o.gateway, userIds }) : null,
    isLeader: o.isLeader,
    stillHolds: (a) => {
      const seen = o.seen();
      if (a.kind === 'ami-down') return seen.amiConnected === null ? undefined : !seen.amiConnected;
      const state = seen.breakers?.get(a.subject);
      return state === undefined ? undefined : state !== 'closed';
    },
    onRaised: (kind) => o.metrics.alertsRaisedTotal.inc({ kind }),
    logger: o.logger,
  });
  o.metrics.alertSource = () => alerts.counts();
  const poll = setInterval(() => void alerts.tick(), o.env.ALERT_POLL_MS);
  poll.unref();
  return {
    alerts,
    async stop() {
      clearInterval(poll);
      await alerts.idle();
    },
  };
}
