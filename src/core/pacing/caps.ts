import { dayNumber } from '../time/civil-days.ts';
import { localTime } from './local-time.ts';
import type { Caps } from './settings.ts';

export type CapCheck = { readonly ok: true } | { readonly ok: false; readonly cap: 'day' | 'week' | 'month'; readonly limit: number };


/**
 * Attempts to this number already made (their start instants) against the caps per local day,
 * ISO week (Monday first) and calendar month, in the callee's timezone.
 */
export function checkCaps(caps: Caps, previous: readonly number[], now: number, timezone: string): CapCheck {
  if (caps.perDay === null && caps.perWeek === null && caps.perMonth === null) return { ok: true };
  const t = localTime(now, timezone);
  const today = dayNumber(t.year, t.month, t.day);
  const weekStart = today - (t.weekday - 1);
  let day = 0;
  let week = 0;
  let month = 0;
  for (const at of previous) {
    const p = localTime(at, timezone);
    const n = dayNumber(p.year, p.month, p.day);
    if (n === today) day++;
    if (n >= weekStart && n <= today) week++;
    if (p.year === t.year && p.month === t.month) month++;
  }
  if (caps.perDay !== null && day >= caps.perDay) return { ok: false, cap: 'day', limit: caps.perDay };
  if (caps.perWeek !== null && week >= caps.perWeek) return { ok: false, cap: 'week', limit: caps.perWeek };
  if (caps.perMonth !== null && month >= caps.perMonth) return { ok: false, cap: 'month', limit: caps.perMonth };
  return { ok: true };
}
