import type { Logger } from '../../adapters/logging/logger.ts';
import {
  alertKey, clear, countByKind, expire, NO_ALERTS, noticeText, raise, SHARED_KINDS,
  type ActiveAlert, type AlertInput, type AlertKind, type AlertState, type Notice, type Step,
} from '../../core/alerts/alerts.ts';

/** Where notices go (Bitrix24 notifications to the configured admins). */
export interface AlertNotifier {
  send(text: string, tag: string): Promise<void>;
}

export interface AlertsOptions {
  readonly clock: { now(): number };
  /** At most one "raised" notice per alert in this time (ALERT_REPEAT_MIN). */
  readonly repeatMs: number;
  /** Null: alerts show on the dashboard and /metrics only. */
  readonly notifier: AlertNotifier | null;
  /** Several instances see the same trunks and PBX: only the leader sends those (SHARED_KINDS). Absent: always (one instance). */
  readonly isLeader?: () => boolean;
  /** Every raise, for the raised-total counter. */
  readonly onRaised?: (kind: AlertKind) => void;
  readonly logger: Logger;
}

/**
 * The alerts of this instance: the places that notice trouble raise and clear them here; the
 * dashboard and /metrics read them; notices go to the notifier one at a time, in order.
 */
export class Alerts {
  private state: AlertState = NO_ALERTS;
  private sending: Promise<void> = Promise.resolve();

  constructor(private readonly o: AlertsOptions) {}

  raise(input: AlertInput): void {
    this.o.onRaised?.(input.kind);
    this.apply(raise(this.current(), input, this.o.clock.now(), this.o.repeatMs));
  }

  clear(kind: AlertKind, subject = ''): void {
    this.apply(clear(this.current(), alertKey(kind, subject), this.o.clock.now()));
  }

  /** Active alerts, oldest first. */
  active(): readonly ActiveAlert[] {
    return [...this.current().values()].sort((a, b) => a.since - b.since || a.key.localeCompare(b.key));
  }

  counts(): Record<AlertKind, number> {
    return countByKind(this.current());
  }

  /** Resolves once every notice decided so far was sent (or failed and was logged). */
  idle(): Promise<void> {
    return this.sending;
  }

  private current(): AlertState {
    this.state = expire(this.state, this.o.clock.now(), this.o.repeatMs);
    return this.state;
  }

  private apply(step: Step): void {
    this.state = step.state;
    const a = step.notice?.alert;
    if (step.notice && a) {
      const log = step.notice.type === 'raised' ? this.o.logger.warn.bind(this.o.logger) : this.o.logger.info.bind(this.o.logger);
      log({ alert: a.key, count: a.count }, `alert ${step.notice.type}: ${a.message}`);
      this.send(step.notice);
    }
  }

  private send(notice: Notice): void {
    const notifier = this.o.notifier;
    if (!notifier || (SHARED_KINDS.has(notice.alert.kind) && this.o.isLeader && !this.o.isLeader())) return;
    this.sending = this.sending.then(() => notifier.send(noticeText(notice), notice.alert.key)).catch((err: unknown) => {
      this.o.logger.warn({ alert: notice.alert.key, err: { message: err instanceof Error ? err.message : String(err) } }, 'alert notice not delivered');
    });
  }
}
