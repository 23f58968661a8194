/**
 * Admin alerts as pure state: what is wrong now, and which notice that calls for. Time comes in
 * as an argument; the application stores the alerts (shared by every instance) and sends the notices.
 */

/** What went wrong. */
export type AlertKind = 'sim-credit' | 'trunk-breaker' | 'crm-parked' | 'ami-down' | 'import-refused';

export const ALERT_KINDS: readonly AlertKind[] = ['sim-credit', 'trunk-breaker', 'crm-parked', 'ami-down', 'import-refused'];

/**
 * Conditions last until cleared (a breaker closes, AMI comes back) and get a "cleared" notice;
 * events (a parked write, a refused import) have no end of their own: they stay on the dashboard
 * for one repeat interval after the last occurrence, then drop without a notice.
 */
export const EVENT_KINDS: ReadonlySet<AlertKind> = new Set<AlertKind>(['crm-parked', 'import-refused']);

/**
 * Seen alike by every instance (trunk health is shared through the database, every instance has its
 * own AMI session to the same PBX): only the leader records them, so a breaker seen by three
 * instances is one raise, not three. Events happen on one instance only (or in the CLI): that one records.
 */
export const SHARED_KINDS: ReadonlySet<AlertKind> = new Set<AlertKind>(['sim-credit', 'trunk-breaker', 'ami-down']);

export interface AlertInput {
  readonly kind: AlertKind;
  /** What it is about (a trunk id, an outbox method, a file name); '' when there is one of it. */
  readonly subject: string;
  /** One line for the admin. */
  readonly message: string;
}

export interface ActiveAlert extends AlertInput {
  /** `kind:subject`: one alert per key, however often it is raised. */
  readonly key: string;
  readonly since: number;
  readonly lastAt: number;
  /** How many times it was raised since `since`. */
  readonly count: number;
  /** When a notice about it was last sent; null: none yet. */
  readonly notifiedAt: number | null;
}

/** An alert as stored: a cleared condition stays until its "cleared" notice is sent. */
export interface StoredAlert extends ActiveAlert {
  readonly clearedAt: number | null;
}

export interface Notice {
  readonly type: 'raised' | 'cleared';
  readonly alert: ActiveAlert;
}

export function alertKey(kind: AlertKind, subject: string): string {
  return subject === '' ? kind : `${kind}:${subject}`;
}

/**
 * Raises (or raises again) an alert. A condition raised again before its "cleared" notice went out
 * simply goes on: the admin was told it was raised and is not told it cleared.
 */
export function raised(before: StoredAlert | null, input: AlertInput, now: number): StoredAlert {
  return {
    ...input,
    key: alertKey(input.kind, input.subject),
    since: before?.since ?? now,
    lastAt: now,
    count: (before?.count ?? 0) + 1,
    notifiedAt: before?.notifiedAt ?? null,
    clearedAt: null,
  };
}

/** Clears a condition: kept for its "cleared" notice when the admin was told it was raised, else gone (null). */
export function cleared(before: StoredAlert | null, now: number): StoredAlert | null {
  if (!before || before.notifiedAt === null) return null;
  return before.clearedAt === null ? { ...before, clearedAt: now } : before;
}

/** An event whose last occurrence is at least `repeatMs` old: dropped without a notice. */
export function expired(a: StoredAlert, now: number, repeatMs: number): boolean {
  return a.clearedAt === null && EVENT_KINDS.has(a.kind) && now - a.lastAt >= repeatMs;
}

/** What the dashboard and /metrics show. */
export function isActive(a: StoredAlert, now: number, repeatMs: number): boolean {
  return a.clearedAt === null && !expired(a, now, repeatMs);
}

/**
 * The notice an alert calls for now: "raised" the first time, and again only when it was raised
 * since the last notice and that notice is at least `repeatMs` old (an alert raised every second
 * is one notice per interval); "cleared" once, when the admin had been told.
 */
export function noticeDue(a: StoredAlert, now: number, repeatMs: number): Notice | null {
  if (a.clearedAt !== null) return a.notifiedAt !== null ? { type: 'cleared', alert: { ...a, lastAt: a.clearedAt } } : null;
  if (expired(a, now, repeatMs)) return null;
  if (a.notifiedAt === null || (a.lastAt > a.notifiedAt && now - a.notifiedAt >= repeatMs)) return { type: 'raised', alert: a };
  return null;
}

/** The alert once `notice` was sent: a "cleared" one is gone (null), a "raised" one remembers when. */
export function afterNotice(a: StoredAlert, notice: Notice, now: number): StoredAlert | null {
  return notice.type === 'cleared' ? null : { ...a, notifiedAt: now };
}

/** How many alerts of each kind are active (every kind present, 0 when none). */
export function countByKind(alerts: Iterable<ActiveAlert>): Record<AlertKind, number> {
  const out = Object.fromEntries(ALERT_KINDS.map((k) => [k, 0])) as Record<AlertKind, number>;
  for (const a of alerts) out[a.kind] += 1;
  return out;
}

/** The notification text an admin reads in Bitrix24. */
export function noticeText(n: Notice): string {
  const repeat = n.alert.count > 1 ? ` (${n.alert.count} times since the first)` : '';
  return n.type === 'raised'
    ? `[PBX connector] ALERT ${n.alert.kind}: ${n.alert.message}${repeat}`
    : `[PBX connector] cleared ${n.alert.kind}: ${n.alert.message}`;
}
