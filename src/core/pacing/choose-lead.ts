import { checkCaps } from './caps.ts';
import { checkHours } from './calling-hours.ts';
import type { DncList } from './dnc.ts';
import type { DialMode, PacingSettings } from './settings.ts';

/** A lead due for a call, as the cycle hands it over (already ordered: see orderDue). */
export interface DueLead {
  readonly id: string;
  /** E.164 digits. */
  readonly digits: string;
  /** The callee's timezone from the numbering plan's region; null = unknown (the campaign's fallback). */
  readonly timezone: string | null;
  /** Start instants of the attempts already made to this lead (for the caps). */
  readonly attemptStarts: readonly number[];
  /** Its last call was abandoned (no free operator): the retry rings an operator first. */
  readonly reserveOperator: boolean;
}

export type LeadHold =
  | { readonly leadId: string; readonly kind: 'later'; readonly until: number; readonly reason: string }
  | { readonly leadId: string; readonly kind: 'blocked'; readonly reason: string };

export interface LeadChoice {
  /** The lead to call for this operator now, and how; null when none may be called. */
  readonly dial: { readonly lead: DueLead; readonly mode: DialMode } | null;
  /** Leads looked at and found not callable now: postponed to `until`, or closed for good. */
  readonly holds: readonly LeadHold[];
}

/**
 * The dialer's decision for one free operator (pure; time is an input): the first due lead that
 * is not on the do-not-call list, is inside its calling hours and outside quiet hours in its own
 * timezone, and is under its caps. Leads skipped on the way are postponed to when they may be
 * called (so the next decision does not look at them again) or blocked (do-not-call). A lead whose
 * last call was abandoned is dialled operator first (preview), so it cannot be abandoned twice.
 * At most `scanLimit` leads are examined: the decision's cost is bounded whatever the backlog.
 */
export function chooseLead(leads: readonly DueLead[], settings: PacingSettings, dnc: DncList, now: number, scanLimit = 200): LeadChoice {
  const holds: LeadHold[] = [];
  const n = Math.min(leads.length, scanLimit);
  for (let i = 0; i < n; i++) {
    const lead = leads[i] as DueLead;
    const listed = dnc.match(lead.digits);
    if (listed !== null) {
      holds.push({ leadId: lead.id, kind: 'blocked', reason: `on the do-not-call list (${listed.kind} ${listed.digits})` });
      continue;
    }
    const tz = lead.timezone ?? settings.fallbackTimezone;
    const hours = checkHours(now, tz, settings.callingHours, settings.quietHours);
    if (!hours.ok) {
      holds.push({ leadId: lead.id, kind: 'later', until: hours.until, reason: `${hours.reason} in ${tz}` });
      continue;
    }
    const caps = checkCaps(settings.caps, lead.attemptStarts, now, tz);
    if (!caps.ok) {
      holds.push({ leadId: lead.id, kind: 'later', until: nextCapWindow(now, caps.cap), reason: `${caps.limit} attempt(s) per ${caps.cap} reached` });
      continue;
    }
    return { dial: { lead, mode: lead.reserveOperator ? 'preview' : settings.mode }, holds };
  }
  return { dial: null, holds };
}

const HOUR = 3_600_000;

/** A capped lead is looked at again later; the cap itself is re-checked then. */
function nextCapWindow(now: number, cap: 'day' | 'week' | 'month'): number {
  return now + (cap === 'day' ? 1 : cap === 'week' ? 6 : 12) * HOUR;
}
