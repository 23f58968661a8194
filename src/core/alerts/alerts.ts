/**
 * Admin alerts as pure state: what is wrong now, and which notices that calls for. Time comes in
 * as an argument; the application keeps the state and sends the notices.
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
 * own AMI session to the same PBX): only one instance should tell the admins. Events happen on one
 * instance only (the worker that parked the write, the one that ran the import): that one tells.
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

export type AlertState = ReadonlyMap<string, ActiveAlert>;

export const NO_ALERTS: AlertState = new Map();

export interface Notice {
  readonly type: 'raised' | 'cleared';
  readonly alert: ActiveAlert;
}

export interface Step {
  readonly state: AlertState;
  readonly notice: Notice | null;
}

export function alertKey(kind: AlertKind, subject: string): string {
  return subject === '' ? kind : `${kind}:${subject}`;
}

/**
 * Raises (or raises again) an alert. A notice goes out the first time, and again only when the
 * last one is at least `repeatMs` old: an alert raised every second is one notice per interval.
 */
export function raise(state: AlertState, input: AlertInput, now: number, repeatMs: number): Step {
  const key = alertKey(input.kind, input.subject);
  const before = state.get(key);
  const due = before?.notifiedAt == null || now - before.notifiedAt >= repeatMs;
  const alert: ActiveAlert = {
    ...input, key,
    since: before?.since ?? now,
    lastAt: now,
    count: (before?.count ?? 0) + 1,
    notifiedAt: due ? now : before.notifiedAt,
  };
  const next = new Map(state);
  next.set(key, alert);
  return { state: next, notice: due ? { type: 'raised', alert } : null };
}

/** Clears a condition; a "cleared" notice only when the admin was told it was raised. */
export function clear(state: AlertState, key: string, now: number): Step {
  const before = state.get(key);
  if (!before) return { state, notice: null };
  const next = new Map(state);
  next.delete(key);
  const told = before.notifiedAt !== null;
  return { state: next, notice: told ? { type: 'cleared', alert: { ...before, lastAt: now } } : null };
}

/** Drops events whose last occurrence is at least `repeatMs` old (conditions stay until cleared). */
export function expire(state: AlertState, now: number, repeatMs: number): AlertState {
  let next: Map<string, ActiveAlert> | null = null;
  for (const [key, a] of state) {
    if (EVENT_KINDS.has(a.kind) && now - a.lastAt >= repeatMs) {
      next ??= new Map(state);
      next.delete(key);
    }
  }
  return next ?? state;
}

/** How many alerts of each kind are active (every kind present, 0 when none). */
export function countByKind(state: AlertState): Record<AlertKind, number> {
  const out = Object.fromEntries(ALERT_KINDS.map((k) => [k, 0])) as Record<AlertKind, number>;
  for (const a of state.values()) out[a.kind] += 1;
  return out;
}

/** The notification text an admin reads in Bitrix24. */
export function noticeText(n: Notice): string {
  const repeat = n.alert.count > 1 ? ` (${n.alert.count} times since the first)` : '';
  return n.type === 'raised'
    ? `[PBX connector] ALERT ${n.alert.kind}: ${n.alert.message}${repeat}`
    : `[PBX connector] cleared ${n.alert.kind}: ${n.alert.message}`;
}
