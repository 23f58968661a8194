import type { SimLimits } from '../rules/model.ts';
import type { TrunkBlock } from './snapshot.ts';

/** A SIM's use so far, counted from stored attempts and calls. */
export interface SimUsage {
  /** Calls (attempts) started in the last 60 minutes. */
  readonly callsLastHour: number;
  /** Start of the oldest of those, ms (when the hourly count drops by one); null when none. */
  readonly oldestInHourAt: number | null;
  /** Calls started since local midnight. */
  readonly callsToday: number;
  /** Billed minutes (each call's talk time rounded up) of calls ended since local midnight. */
  readonly minutesToday: number;
  /** Start of the last call, ms; null when none. */
  readonly lastStartAt: number | null;
}

export const HOUR_MS = 3_600_000;

/**
 * The first limit this SIM has reached, or null. The hourly count is a rolling hour; the daily
 * counts reset at `nextMidnight` (local midnight in the rules' time zone); the gap runs from the
 * start of the last call.
 */
export function simLimitReached(limits: SimLimits, usage: SimUsage, now: number, nextMidnight: number): TrunkBlock | null {
  if (limits.minutesPerDay !== null && usage.minutesToday >= limits.minutesPerDay) {
    return { kind: 'limit', limit: 'minutesPerDay', used: usage.minutesToday, max: limits.minutesPerDay, until: nextMidnight };
  }
  if (limits.callsPerDay !== null && usage.callsToday >= limits.callsPerDay) {
    return { kind: 'limit', limit: 'callsPerDay', used: usage.callsToday, max: limits.callsPerDay, until: nextMidnight };
  }
  if (limits.callsPerHour !== null && usage.callsLastHour >= limits.callsPerHour) {
    const until = usage.oldestInHourAt === null ? null : usage.oldestInHourAt + HOUR_MS;
    return { kind: 'limit', limit: 'callsPerHour', used: usage.callsLastHour, max: limits.callsPerHour, until };
  }
  if (limits.minGapSeconds !== null && usage.lastStartAt !== null) {
    const until = usage.lastStartAt + limits.minGapSeconds * 1000;
    if (now < until) return { kind: 'limit', limit: 'minGapSeconds', used: Math.floor((now - usage.lastStartAt) / 1000), max: limits.minGapSeconds, until };
  }
  return null;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Wall-clock time of `at` in the zone, `12:03:10`. */
export function localTime(at: number, timeZone: string): string {
  return formatter(timeZone).format(at);
}

/**
 * The last local midnight at or before `now` in the zone. Computed from the wall clock of `now`,
 * so on a day a zone shifts its clocks it is off by the shift (Russia has kept one offset since 2014).
 */
export function localMidnight(now: number, timeZone: string): number {
  let h = 0;
  let m = 0;
  let s = 0;
  for (const p of formatter(timeZone).formatToParts(now)) {
    if (p.type === 'hour') h = Number(p.value);
    else if (p.type === 'minute') m = Number(p.value);
    else if (p.type === 'second') s = Number(p.value);
  }
  return now - (now % 1000) - ((h * 60 + m) * 60 + s) * 1000;
}

export const DAY_MS = 86_400_000;
