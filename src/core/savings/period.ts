import { dayNumber } from '../time/civil-days.ts';
import { DAY_MS, isoText, parseIsoInstant, validDay, zoneOffsetMs } from './calendar.ts';

/**
 * A report bound as an admin types it: `2026-11-01` (a day in the call centre's time zone; as the
 * end of a period it includes that whole day) or an ISO instant `2026-11-01T09:00:00Z`.
 * Returns epoch ms, or an error message naming the option and the value.
 */
export function parseReportBound(text: string, option: string, timeZone: string, end: boolean): number | string {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    if (!validDay(y, m, d)) return `${option}: "${text}" is not a date`;
    const utcMidnight = dayNumber(y, m, d) * DAY_MS;
    const start = utcMidnight + (end ? DAY_MS : 0);
    return start - zoneOffsetMs(timeZone, start);
  }
  const at = parseIsoInstant(text.trim());
  if (at !== null) return at;
  return `${option}: "${text}" is not a date (YYYY-MM-DD) or an ISO time with its zone (2026-11-01T09:00:00Z)`;
}

/** The period asked for: default the 30 days before `now`; `from` must come before `to`. */
export function reportPeriod(
  input: { readonly from?: string | undefined; readonly to?: string | undefined },
  timeZone: string,
  now: number,
): { readonly from: number; readonly to: number } | string {
  const to = input.to === undefined ? now : parseReportBound(input.to, '--to', timeZone, true);
  if (typeof to === 'string') return to;
  const from = input.from === undefined ? to - 30 * DAY_MS : parseReportBound(input.from, '--from', timeZone, false);
  if (typeof from === 'string') return from;
  if (from >= to) return `--from (${isoText(from)}) must be before --to (${isoText(to)})`;
  return { from, to };
}
