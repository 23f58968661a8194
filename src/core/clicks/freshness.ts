/**
 * When Bitrix24 registered a click-to-call, from its CALL_ID (`externalCall.<hex>.<unix seconds>`),
 * in epoch milliseconds; null when the CALL_ID carries no such time.
 */
export function callIdTimeMs(callId: string): number | null {
  const seconds = /^externalCall\.[0-9a-f]+\.(\d{9,11})$/i.exec(callId)?.[1];
  return seconds === undefined ? null : Number(seconds) * 1000;
}

export interface FreshnessLimits {
  /** B24_MAX_DIAL_DELAY_S, in ms: a click older than this is not dialled. */
  readonly maxDelayMs: number;
  /** B24_CLOCK_SKEW_S, in ms: how far ahead of this host's clock a click's time may be. */
  readonly skewMs: number;
}

export type Freshness =
  | { readonly fresh: true; readonly ageMs: number }
  | { readonly fresh: false; readonly reason: string };

/**
 * Whether a click may still ring anyone: its newest time stamp (the event's `ts`, the time in its
 * CALL_ID — epoch ms, null when absent) is at most `maxDelayMs` old and not ahead of `nowMs` by
 * more than `skewMs`. A click with no time at all cannot be judged, so it is not dialled either.
 */
export function clickFreshness(stampsMs: readonly (number | null)[], nowMs: number, limits: FreshnessLimits): Freshness {
  const known = stampsMs.filter((s): s is number => s !== null && Number.isFinite(s));
  if (known.length === 0) return { fresh: false, reason: 'not dialled: the click carries no time (no ts, no time in its CALL_ID)' };
  const newest = Math.max(...known);
  const ageMs = nowMs - newest;
  if (-ageMs > limits.skewMs) {
    return { fresh: false, reason: `not dialled: the click's time is ${seconds(-ageMs)} s ahead of this host's clock (more than the ${seconds(limits.skewMs)} s allowed)` };
  }
  if (ageMs > limits.maxDelayMs) {
    return { fresh: false, reason: `not dialled: the click is ${seconds(ageMs)} s old (more than the ${seconds(limits.maxDelayMs)} s allowed)` };
  }
  return { fresh: true, ageMs };
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}
