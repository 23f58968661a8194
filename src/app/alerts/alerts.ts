import type { Logger } from '../../adapters/logging/logger.ts';
import {
  afterNotice, alertKey, cleared, countByKind, expired, isActive, noticeDue, noticeText, raised, SHARED_KINDS,
  type ActiveAlert, type AlertInput, type AlertKind, type StoredAlert,
} from '../../core/alerts/alerts.ts';

/** Where notices go (Bitrix24 notifications to the configured admins). */
export interface AlertNotifier {
  send(text: string, tag: string): Promise<void>;
}

/** The alerts every instance (and the CLI) shares: one row per alert key. */
export interface AlertStore {
  /**
   * Replaces the alert of `key` with what `change` makes of it (null: removed), read and written as
   * one step no other writer interleaves with; answers what was stored.
   */
  change(key: string, change: (before: StoredAlert | null) => StoredAlert | null): Promise<StoredAlert | null>;
  list(): Promise<StoredAlert[]>;
}

export interface AlertsOptions {
  readonly store: AlertStore;
  readonly clock: { now(): number };
  /** At most one "raised" notice per alert in this time (ALERT_REPEAT_MIN). */
  readonly repeatMs: number;
  /** Null: alerts show on the dashboard and /metrics only. */
  readonly notifier: AlertNotifier | null;
  /**
   * The leader records the kinds every instance sees alike (SHARED_KINDS) and sends every notice,
   * whichever instance (or CLI run) recorded the alert. Absent: always (one instance).
   */
  readonly isLeader?: () => boolean;
  /**
   * Whether a stored condition of a shared kind that another process recorded still holds as this
   * instance sees it now (false: the leader clears it; undefined: cannot tell). Catches what ended
   * while no one was watching: a breaker that closed during a restart, AMI back before a new leader took over.
   */
  readonly stillHolds?: (alert: ActiveAlert) => boolean | undefined;
  /** Every raise recorded here, for the raised-total counter. */
  readonly onRaised?: (kind: AlertKind) => void;
  readonly logger: Logger;
}

/** Records an alert in the store (what the CLI does: the running service tells the admins). */
export async function recordAlert(store: AlertStore, input: AlertInput, now: number): Promise<void> {
  await store.change(alertKey(input.kind, input.subject), (before) => raised(before, input, now));
}

/**
 * The admin alerts as this instance sees them: the places that notice trouble raise and clear them
 * here (stored at once, one write after another); the dashboard and /metrics read the store; the
 * leader's `tick` sends what is due, now after a local change and on its own every poll.
 */
export class Alerts {
  private chain: Promise<void> = Promise.resolve();
  /** Keys this process raised and has not cleared: its own raises and clears govern them, not `stillHolds`. */
  private readonly own = new Set<string>();
  /** The last task queued is a tick not started yet: another one would find nothing new. */
  private tickLast = false;

  constructor(private readonly o: AlertsOptions) {}

  raise(input: AlertInput): void {
    if (!this.records(input.kind)) return;
    this.o.onRaised?.(input.kind);
    const now = this.o.clock.now();
    // In queue order: a tick queued before this raise is not told of it.
    this.write(async () => {
      this.own.add(alertKey(input.kind, input.subject));
      await recordAlert(this.o.store, input, now);
    });
  }

  clear(kind: AlertKind, subject = ''): void {
    if (!this.records(kind)) return;
    const now = this.o.clock.now();
    this.write(async () => {
      this.own.delete(alertKey(kind, subject));
      await this.o.store.change(alertKey(kind, subject), (before) => cleared(before, now));
    });
  }

  /** Active alerts, oldest first (every instance's, and the CLI's). */
  async active(): Promise<readonly ActiveAlert[]> {
    const now = this.o.clock.now();
    const rows = (await this.o.store.list()).filter((a) => isActive(a, now, this.o.repeatMs));
    return rows.sort((a, b) => a.since - b.since || a.key.localeCompare(b.key)).map(({ clearedAt: _, ...a }) => a);
  }

  async counts(): Promise<Record<AlertKind, number>> {
    return countByKind(await this.active());
  }

  /** Sends the notices due now and drops what is over, on the leader (elsewhere nothing). */
  tick(): Promise<void> {
    if (this.tickLast) return this.chain;
    const chain = this.enqueue(async () => {
      this.tickLast = false;
      if (!this.leading()) return;
      for (const a of await this.o.store.list()) await this.settle(a.key);
    });
    this.tickLast = true;
    return chain;
  }

  /** Resolves once every change and notice decided so far was stored and sent (or failed and was logged). */
  idle(): Promise<void> {
    return this.chain;
  }

  private records(kind: AlertKind): boolean {
    return !SHARED_KINDS.has(kind) || this.leading();
  }

  private leading(): boolean {
    return !this.o.isLeader || this.o.isLeader();
  }

  private write(task: () => Promise<void>): void {
    void this.enqueue(task);
    void this.tick();
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    this.tickLast = false;
    this.chain = this.chain.then(task).catch((err: unknown) => {
      this.o.logger.warn({ err }, 'alerts: storing or telling failed');
    });
    return this.chain;
  }

  /**
   * One alert: claimed and marked in the store before the notice goes out, so two leaders for a
   * moment (a lease changing hands) or a restart never tell the same thing twice within the interval.
   */
  private async settle(key: string): Promise<void> {
    const now = this.o.clock.now();
    let notice: ReturnType<typeof noticeDue> = null;
    await this.o.store.change(key, (a) => {
      notice = null;
      if (!a || expired(a, now, this.o.repeatMs)) return null;
      if (a.clearedAt === null && SHARED_KINDS.has(a.kind) && !this.own.has(a.key) && this.o.stillHolds?.(a) === false) a = cleared(a, now);
      if (!a) return null;
      const due = noticeDue(a, now, this.o.repeatMs);
      if (!due) return a;
      if (!this.o.notifier) return due.type === 'cleared' ? null : a;
      notice = due;
      return afterNotice(a, due, now);
    });
    const n = notice as ReturnType<typeof noticeDue>;
    if (!n || !this.o.notifier) return;
    const log = n.type === 'raised' ? this.o.logger.warn.bind(this.o.logger) : this.o.logger.info.bind(this.o.logger);
    log({ alert: n.alert.key, count: n.alert.count }, `alert ${n.type}: ${n.alert.message}`);
    await this.o.notifier.send(noticeText(n), n.alert.key).catch((err: unknown) => {
      this.o.logger.warn({ alert: n.alert.key, err }, 'alert notice not delivered');
    });
  }
}
