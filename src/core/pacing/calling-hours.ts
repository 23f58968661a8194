import { localTime } from './local-time.ts';
import type { TimeWindow } from './settings.ts';

const MINUTE = 60_000;

function inside(w: TimeWindow, minutes: number): boolean {
  return w.from < w.to ? minutes >= w.from && minutes < w.to : minutes >= w.from || minutes < w.to;
}

/** Minutes from `minutes` until the window opens (0 when inside). */
function untilOpen(w: TimeWindow, minutes: number): number {
  if (inside(w, minutes)) return 0;
  return (w.from - minutes + 1440) % 1440;
}

/** Minutes from `minutes` until the window closes (assumes inside). */
function untilClose(w: TimeWindow, minutes: number): number {
  return (w.to - minutes + 1440) % 1440 || 1440;
}

export type HoursCheck = { readonly ok: true } | { readonly ok: false; readonly until: number; readonly reason: 'calling-hours' | 'quiet-hours' };

/**
 * May this callee be called now, in their own timezone: inside the calling hours and outside every
 * quiet window. If not, the earliest instant worth trying again (to the minute).
 */
export function checkHours(now: number, timezone: string, calling: TimeWindow, quiet: readonly TimeWindow[]): HoursCheck {
  const local = localTime(now, timezone);
  const wait = untilOpen(calling, local.minutes);
  if (wait > 0) return { ok: false, until: startOfMinute(now) + wait * MINUTE, reason: 'calling-hours' };
  for (const q of quiet) {
    if (inside(q, local.minutes)) {
      // Past the quiet window: the calling hours may be closed by then; the next check says so.
      return { ok: false, until: startOfMinute(now) + untilClose(q, local.minutes) * MINUTE, reason: 'quiet-hours' };
    }
  }
  return { ok: true };
}

function startOfMinute(t: number): number {
  return t - (t % MINUTE);
}
