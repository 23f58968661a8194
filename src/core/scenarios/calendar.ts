import type { TimeRange } from './model.ts';

/** A moment as the call centre's clock shows it. */
export interface LocalTime {
  /** 1 = Monday … 7 = Sunday. */
  readonly weekday: number;
  /** YYYY-MM-DD. */
  readonly date: string;
  /** HH:MM, 24-hour. */
  readonly time: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS: Readonly<Record<string, number>> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

/** The wall clock of `timezone` (an IANA zone, validated with the rules) at `ms`. */
export function localTime(ms: number, timezone: string): LocalTime {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: timezone, weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    });
    formatters.set(timezone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(ms)) parts[p.type] = p.value;
  return {
    weekday: WEEKDAYS[parts.weekday ?? ''] ?? 0,
    date: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${parts.hour}:${parts.minute}`,
  };
}

/**
 * Inside a range: its day, `from` ≤ time < `to`. A range that wraps midnight (`22:00`–`06:00`)
 * covers the evening of its days and the early morning of the day after.
 */
export function inRange(t: LocalTime, r: TimeRange): boolean {
  if (r.from <= r.to) return r.days.includes(t.weekday) && t.time >= r.from && t.time < r.to;
  const yesterday = t.weekday === 1 ? 7 : t.weekday - 1;
  return (r.days.includes(t.weekday) && t.time >= r.from) || (r.days.includes(yesterday) && t.time < r.to);
}

export function isHoliday(t: LocalTime, holidays: readonly string[]): boolean {
  // `--MM-DD` repeats every year (New Year, 8 March).
  return holidays.some((h) => h === t.date || (h.startsWith('--') && t.date.endsWith(h.slice(1))));
}
