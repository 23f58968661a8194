import type { AmiClient } from '../adapters/asterisk/ami/client.ts';
import type { B24Gateway } from '../adapters/bitrix24/gateway.ts';
import type { Logger } from '../adapters/logging/logger.ts';
import type { Metrics } from '../adapters/metrics/metrics.ts';
import { Alerts } from '../app/alerts/alerts.ts';
import { bitrix24Notifier } from '../app/alerts/b24-notifier.ts';
import type { Env } from '../config/env.ts';

/** The admin alerts: /metrics reads them at every scrape; notices go to ALERT_B24_USERS when set. */
export function buildAlerts(o: {
  readonly env: Readonly<Env>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The connected portal (null while none is). */
  readonly gateway: () => B24Gateway | null;
  readonly isLeader: () => boolean;
  readonly clock?: { now(): number };
}): Alerts {
  const userIds = o.env.ALERT_B24_USERS.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const alerts = new Alerts({
    clock: o.clock ?? { now: () => Date.now() },
    repeatMs: o.env.ALERT_REPEAT_MIN * 60_000,
    notifier: userIds.length > 0 ? bitrix24Notifier({ gateway: o.gateway, userIds }) : null,
    isLeader: o.isLeader,
    onRaised: (kind) => o.metrics.alertsRaisedTotal.inc({ kind }),
    logger: o.logger,
  });
  o.metrics.alertSource = () => alerts.counts();
  return alerts;
}

/** AMI down is an alert from the moment the session drops (or never came up) until it is back. */
export function watchAmi(alerts: Alerts, ami: AmiClient): { startFailed(err: unknown): void; stop(): void } {
  const down = (reason: string): void => alerts.raise({ kind: 'ami-down', subject: '', message: `AMI is down (${reason}): no click-to-call, no call tracking` });
  const onDown = (reason: unknown): void => down(String(reason));
  const onUp = (): void => alerts.clear('ami-down');
  ami.on('disconnected', onDown);
  ami.on('connected', onUp);
  return {
    startFailed: (err) => down(err instanceof Error ? err.message : String(err)),
    // Before the connector's own stop closes the session: that is no outage.
    stop() {
      ami.off('disconnected', onDown);
      ami.off('connected', onUp);
    },
  };
}
