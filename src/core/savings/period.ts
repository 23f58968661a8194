import { zoneOffsetMs } from './report.ts';

const DAY_MS = 86_400_000;

/**
 * A report bound as an admin types it: `2026-11-01` (a day in the call centre's time zone; as the
 * end of a period it includes that whole day) or an ISO instant `2026-11-01T09:00:00Z`.
 * Returns epoch ms, or an error message naming the option and the value.
 */
export function parseReportBound(text: string, option: string, timeZone: string, end: boolean): number | string {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (day) {
    const utcMidnight = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
    const check = new Date(utcMidnight);
    if (check.getUTCMonth() !== Number(day[2]) - 1 || check.getUTCDate() !== Number(day[3])) return `${option}: "${text}" is not a date`;
    const start = utcMidnight + (end ? DAY_MS : 0);
    return start - zoneOffsetMs(timeZone, start);
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text.trim())) {
    const at = Date.parse(text.trim());
    if (!Number.isNaN(at)) return at;
  }
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
  if (from >= to) return `--from (${new Date(from).toISOString()}) must be before --to (${new Date(to).toISOString()})`;
  return { from, to };
}
