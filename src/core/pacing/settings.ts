/**
 * A campaign's pacing settings: plain data the pure decisions read. Defaults follow seed 002
 * (AutoCall): retry after 90 min for no answer and unreachable, 5 min for busy, 10 min for a
 * technical error (which includes "no free operator"); caps and quiet hours are off by default.
 */

import type { AbandonWindowName } from './abandon-window.ts';

export type DialMode = 'preview' | 'progressive';
export const DIAL_MODES: readonly DialMode[] = ['preview', 'progressive'];

/** A daily window in the callee's local time, minutes after midnight; `from` > `to` spans midnight. */
export interface TimeWindow {
  readonly from: number;
  readonly to: number;
}

export interface RetryMinutes {
  readonly noAnswer: number;
  readonly unreachable: number;
  readonly busy: number;
  readonly technical: number;
}

export interface Caps {
  /** Attempts per number per local day / ISO week / month; null = no cap. */
  readonly perDay: number | null;
  readonly perWeek: number | null;
  readonly perMonth: number | null;
}

export interface PacingSettings {
  readonly mode: DialMode;
  /** When the callee may be called, in the callee's own timezone. */
  readonly callingHours: TimeWindow;
  /** Windows inside the calling hours when nobody is called (lunch, evening rest); none by default. */
  readonly quietHours: readonly TimeWindow[];
  readonly retry: RetryMinutes;
  /** Attempts per lead, answered or not, before the lead is done. */
  readonly maxAttempts: number;
  readonly caps: Caps;
  /** Timezone assumed when the numbering plan does not tell the callee's region. */
  readonly fallbackTimezone: string;
  /** Ring time of the customer leg in seconds (at least 15 before a no-answer). */
  readonly ringSeconds: number;
  /** After-call work: seconds after a customer call an operator talked on before the dialer offers them another (absent: none). */
  readonly wrapUpSeconds?: number;
  /** Ratio or predictive pacing: customers are dialled ahead and take any free operator of the team on answer. */
  readonly pooled?: PooledPacing | null;
  /** Answering-machine detection (Asterisk's AMD) on the customer leg. */
  readonly amd?: AmdSettings | null;
}

export interface PooledPacing {
  readonly mode: 'ratio' | 'predictive';
  /** Calls per free operator in ratio mode. */
  readonly ratio: number;
  /** Abandoned calls, percent of answered, over the window (predictive keeps under it). */
  readonly abandonTargetPct: number;
  readonly abandonWindow: AbandonWindowName;
  /** Below this many operators on line, predictive dials progressively. */
  readonly minOperators: number;
}

export interface AmdSettings {
  /** Share of MACHINE verdicts that were live people, percent: counted as abandoned calls. */
  readonly falsePositivePct: number;
}

export const MIN_RING_SECONDS = 15;

export const DEFAULT_RETRY: RetryMinutes = Object.freeze({ noAnswer: 90, unreachable: 90, busy: 5, technical: 10 });
export const NO_CAPS: Caps = Object.freeze({ perDay: null, perWeek: null, perMonth: null });

export function defaultPacing(fallbackTimezone: string): PacingSettings {
  return {
    mode: 'progressive',
    callingHours: { from: 9 * 60, to: 21 * 60 },
    quietHours: [],
    retry: DEFAULT_RETRY,
    maxAttempts: 10,
    caps: NO_CAPS,
    fallbackTimezone,
    ringSeconds: 30,
  };
}

/** "09:00-21:00" → a window; null when it does not read as one. */
export function parseWindow(text: string): TimeWindow | null {
  const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(text);
  if (!m) return null;
  const [h1, m1, h2, m2] = [m[1], m[2], m[3], m[4]].map(Number) as [number, number, number, number];
  if (h1 > 24 || h2 > 24 || m1 > 59 || m2 > 59) return null;
  const from = h1 * 60 + m1;
  const to = h2 * 60 + m2;
  if (from === to || from > 1440 || to > 1440) return null;
  return { from, to };
}

export function formatWindow(w: TimeWindow): string {
  const hhmm = (n: number) => `${String(Math.floor(n / 60)).padStart(2, '0')}:${String(n % 60).padStart(2, '0')}`;
  return `${hhmm(w.from)}-${hhmm(w.to)}`;
}
