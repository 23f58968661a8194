/**
 * Calendar arithmetic on epoch milliseconds without the Date global (the core takes time as an
 * input): proleptic Gregorian days since 1970-01-01 (H. Hinnant's algorithms).
 */
import { civilFromDays, dayNumber as daysFromCivil } from '../time/civil-days.ts';

export const DAY_MS = 86_400_000;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `2026-11-02` for a day number. */
export function dayText(days: number): string {
  const c = civilFromDays(days);
  return `${pad(c.year, 4)}-${pad(c.month)}-${pad(c.day)}`;
}

/** `2026-11-02T09:00:00.000Z` for an instant. */
export function isoText(at: number): string {
  const days = Math.floor(at / DAY_MS);
  const ms = at - days * DAY_MS;
  const h = Math.floor(ms / 3_600_000);
  const mi = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${dayText(days)}T${pad(h)}:${pad(mi)}:${pad(s)}.${pad(ms % 1000, 3)}Z`;
}

/** The offset of a time zone from UTC at an instant, in ms (Moscow: +3 h). */
export function zoneOffsetMs(timeZone: string, at: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const wall = daysFromCivil(get('year'), get('month'), get('day')) * DAY_MS + ((get('hour') * 60 + get('minute')) * 60 + get('second')) * 1000;
  return wall - Math.floor(at / 1000) * 1000;
}

/** An ISO time with its zone (`2026-11-01T09:00Z`, `…:00+03:00`) → epoch ms; null if it is not one. */
export function parseIsoInstant(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const s = Number(m[6] ?? 0);
  if (!validDay(y, mo, d) || h > 23 || mi > 59 || s > 59) return null;
  const ms = Number((m[7] ?? '0').padEnd(3, '0'));
  const offset = m[8] === 'Z' ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) * 60_000;
  return daysFromCivil(y, mo, d) * DAY_MS + ((h * 60 + mi) * 60 + s) * 1000 + ms - offset;
}

export function validDay(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const c = civilFromDays(daysFromCivil(y, m, d));
  return c.month === m && c.day === d;
}
