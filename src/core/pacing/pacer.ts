import { atTarget, type AbandonCounts } from './abandon-window.ts';
import { MIN_HISTORY, MIN_TALKS, type CallHistory } from './call-history.ts';

/**
 * How many customer calls to place now, for a campaign whose calls go to any free operator of
 * its team (the live dialer and `dialer simulate` call the same function every second).
 *
 * - progressive: at most one call ringing per free operator (no customer can be dropped).
 * - ratio: `ratio` × free operators ringing (seed 002's multiplier).
 * - predictive: as many calls as the expected answers fit the operators expected to be free when
 *   they answer, with a safety margin of `margin` standard deviations (see `nextMargin`); falls back to
 *   progressive while the abandoned rate's window is at the target, too few operators are on
 *   line, or too few recent calls are known to estimate from.
 */
export type PacingMode = 'progressive' | 'ratio' | 'predictive';
export const PACING_MODES: readonly PacingMode[] = ['progressive', 'ratio', 'predictive'];

export interface PacingConfig {
  readonly mode: PacingMode;
  /** Calls per free operator in `ratio` mode. */
  readonly ratio: number;
  /** Abandoned calls, percent of answered calls, over the campaign's window. */
  readonly abandonTargetPct: number;
  /** Below this many operators on line, predictive dials progressively. */
  readonly minOperators: number;
  /** How long an answered customer waits for an operator before the recorded message (ms). */
  readonly holdMs: number;
}

export const DEFAULT_PACING_CONFIG: PacingConfig = Object.freeze({ mode: 'progressive', ratio: 1.2, abandonTargetPct: 3, minOperators: 3, holdMs: 1000 });

/** The campaign's floor at this moment. */
export interface Floor {
  readonly onlineOperators: number;
  /** On line and neither talking, wrapping up nor taken by a customer. */
  readonly freeOperators: number;
  /** Each operator talking with a customer of this campaign: time since the talk began (ms). */
  readonly talkElapsedMs: readonly number[];
  /** Each operator wrapping up after a customer of this campaign: time left (ms); free when it is over. */
  readonly wrapUpLeftMs: readonly number[];
  /** Each call placed and neither answered nor ended: its age (ms). */
  readonly ringingAgesMs: readonly number[];
  /** Customers who answered and wait for an operator. */
  readonly waiting: number;
}

export interface PacingDecision {
  readonly dial: number;
  /** The mode the decision was made in (predictive falls back to progressive). */
  readonly mode: PacingMode;
  readonly why: string;
}

const HORIZON_QUANTILES = [0.1, 0.25, 0.5, 0.75, 1];

/** Never more new calls per pass than this many per operator on line (a burst limit). */
const MAX_PER_PASS_PER_OPERATOR = 1;

function progressive(floor: Floor, why: string): PacingDecision {
  return { dial: Math.max(0, floor.freeOperators - floor.waiting - floor.ringingAgesMs.length), mode: 'progressive', why };
}

export function pace(config: PacingConfig, floor: Floor, history: CallHistory, window: AbandonCounts, margin: number): PacingDecision {
  if (config.mode === 'progressive') return progressive(floor, 'progressive');
  const free = Math.max(0, floor.freeOperators - floor.waiting);
  if (config.mode === 'ratio') {
    return { dial: Math.max(0, Math.round(config.ratio * free) - floor.ringingAgesMs.length), mode: 'ratio', why: `ratio ${config.ratio}` };
  }
  if (floor.onlineOperators < config.minOperators) return progressive(floor, `fewer than ${config.minOperators} operators on line`);
  if (history.callCount < MIN_HISTORY || history.talkCount < MIN_TALKS) return progressive(floor, 'too few recent calls to estimate from');
  if (atTarget(window, config.abandonTargetPct)) return progressive(floor, 'the abandoned rate is at the target');

  const cap = Math.max(1, floor.onlineOperators * MAX_PER_PASS_PER_OPERATOR);
  let n = cap;
  const wrapUpMs = history.typicalWrapUpMs();
  // Checked at several horizons (quantiles of the time to answer): up to each, the customers
  // expected to answer must fit the operators free now and those expected to be done by then
  // (or within the customer's hold), so no answer comes before an operator is there for it.
  for (const horizon of history.answerQuantiles(HORIZON_QUANTILES)) {
    // An operator wrapping up is free at a known time; one talking, after the talk and a wrap-up.
    let available = free + floor.wrapUpLeftMs.filter((left) => left <= horizon + config.holdMs).length;
    let variance = 0;
    for (const e of floor.talkElapsedMs) {
      const h = history.freeWithin(e, horizon + config.holdMs - wrapUpMs);
      available += h;
      variance += h * (1 - h);
    }
    let answers = 0;
    for (const age of floor.ringingAgesMs) {
      const q = history.answerWithin(age, horizon);
      answers += q;
      variance += q * (1 - q);
    }
    const p = history.answerWithin(0, horizon);
    let k = 0;
    while (k < n && answers + (k + 1) * p + margin * Math.sqrt(variance + (k + 1) * p * (1 - p)) <= available) k += 1;
    n = k;
  }
  const floorCalls = progressive(floor, '').dial;
  return { dial: Math.max(n, floorCalls), mode: 'predictive', why: `answer ${(100 * history.answerRate()).toFixed(0)} %, margin ${margin.toFixed(2)}` };
}

/**
 * Where the feedback settles, as a share of the target: the fallback at the target stops the rest.
 * The rest is the room for a day's noise (with the long history, days land within ±0.3 points of the aim).
 */
export const AIM_SHARE = 0.9;
/** The predictive margin's limits and start. */
export const MARGIN = Object.freeze({ start: 2.5, min: 0, max: 5, step: 0.05 });

/**
 * The feedback term, after every answered customer: up by a step on a drop, down a little on a
 * served call, so that it settles where drops are `aim` of the answered calls — below the target
 * (`AIM_SHARE` of it), which leaves room for the noise of a day. An AMD MACHINE verdict counts
 * with the weight of its estimated live share (answered and dropped, as in the window).
 */
export function nextMargin(margin: number, dropped: number, targetPct: number, weight = 1): number {
  const aim = (targetPct / 100) * AIM_SHARE;
  const down = (MARGIN.step * aim) / (1 - aim);
  const next = margin + weight * (dropped * MARGIN.step - (1 - dropped) * down);
  return Math.min(MARGIN.max, Math.max(MARGIN.min, next));
}
