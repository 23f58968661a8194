import type { CustomerOutcome } from './outcome.ts';

/**
 * The campaign's own recent calls, as the predictive pacing reads them: how often a call still
 * ringing at a given age is answered, how long an answered call takes to answer, how likely an
 * operator's talk is to end shortly, and how long operators wrap up after a call. Empirical
 * (counts over the last calls), no fitted law.
 */
export interface EndedCall {
  /** From the dial to the answer, or to the end when unanswered (ms). */
  readonly ringMs: number;
  readonly answered: boolean;
}

/**
 * Calls and talks kept (the newest). Long, for a steady estimate: the pacing's drops grow with
 * the noise of a short one. A change of the answer rate is followed by `RECENT_CALLS` (see `shifted`).
 */
export const HISTORY_CALLS = 1000;
export const HISTORY_TALKS = 500;
/** The newest calls, compared with the older ones to notice a change of the answer rate. */
export const RECENT_CALLS = 150;
/** How far (standard errors) the newest calls' answer rate must be from the older ones' to be a change, not chance. */
const CHANGE_Z = 4;

/** Enough calls and talks to estimate from; before that the pacing stays progressive. */
export const MIN_HISTORY = 30;
export const MIN_TALKS = 10;

/** How many values of a sorted array are greater than `x`. */
function countAbove(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return sorted.length - lo;
}

/** Where `x` is, or would go, in a sorted array: how many values are less than it. */
function countBelow(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const ascending = (a: number, b: number) => a - b;

export class CallHistory {
  private readonly calls: EndedCall[] = [];
  private readonly talks: number[] = [];
  private readonly wrapUps: number[] = [];
  // Sorted views, read many times per pass: the calls' kept in step, the talks' rebuilt when one arrives.
  private sortedAll: number[] | null = null;
  private sortedAnswered: number[] | null = null;
  private sortedTalks: number[] | null = null;
  private typicalWrapUp: number | null = null;
  // Answered calls among all kept and among the newest `RECENT_CALLS`.
  private answeredCount = 0;
  private recentAnswered = 0;

  constructor(private readonly size = HISTORY_CALLS, private readonly talkSize = HISTORY_TALKS) {}

  addCall(call: EndedCall): void {
    this.calls.push(call);
    const answered = call.answered ? 1 : 0;
    this.answeredCount += answered;
    this.recentAnswered += answered;
    const n = this.calls.length;
    if (n > RECENT_CALLS && (this.calls[n - RECENT_CALLS - 1] as EndedCall).answered) this.recentAnswered -= 1;
    const gone = n > this.size ? (this.calls.shift() as EndedCall) : null;
    if (gone?.answered) this.answeredCount -= 1;
    // The campaign changed (another list, another hour): what it was no longer tells what it is.
    if (this.shifted()) {
      this.calls.splice(0, this.calls.length - RECENT_CALLS);
      this.answeredCount = this.recentAnswered;
      this.sortedAll = null;
      this.sortedAnswered = null;
      return;
    }
    // The sorted views follow by one insertion and one removal: cheaper than sorting 1,000 calls again.
    for (const [view, counts] of [[this.sortedAll, () => true], [this.sortedAnswered, (c: EndedCall) => c.answered]] as const) {
      if (!view) continue;
      if (counts(call)) view.splice(countBelow(view, call.ringMs), 0, call.ringMs);
      if (gone && counts(gone)) view.splice(countBelow(view, gone.ringMs), 1);
    }
  }

  /** The newest calls answer at a rate the older ones would give only by a rare chance (a two-proportion test). */
  private shifted(): boolean {
    const older = this.calls.length - RECENT_CALLS;
    if (older < MIN_HISTORY) return false;
    const p = this.answeredCount / this.calls.length;
    if (p <= 0 || p >= 1) return false;
    const diff = this.recentAnswered / RECENT_CALLS - (this.answeredCount - this.recentAnswered) / older;
    return Math.abs(diff) > CHANGE_Z * Math.sqrt(p * (1 - p) * (1 / RECENT_CALLS + 1 / older));
  }

  /** An operator's talk with one answered customer (ms). */
  addTalk(ms: number): void {
    this.talks.push(ms);
    if (this.talks.length > this.talkSize) this.talks.shift();
    this.sortedTalks = null;
  }

  /** An operator's wrap-up after a call (ms), where the floor has one. */
  addWrapUp(ms: number): void {
    this.wrapUps.push(ms);
    if (this.wrapUps.length > this.talkSize) this.wrapUps.shift();
    this.typicalWrapUp = null;
  }

  /** The median of the recent wrap-ups; 0 when operators are free as soon as a call ends. */
  typicalWrapUpMs(): number {
    if (this.typicalWrapUp === null) {
      const sorted = [...this.wrapUps].sort(ascending);
      this.typicalWrapUp = sorted.length === 0 ? 0 : (sorted[Math.floor((sorted.length - 1) / 2)] as number);
    }
    return this.typicalWrapUp;
  }

  get callCount(): number {
    return this.calls.length;
  }

  get talkCount(): number {
    return this.talks.length;
  }

  private all(): number[] {
    this.sortedAll ??= this.calls.map((c) => c.ringMs).sort(ascending);
    return this.sortedAll;
  }

  private answered(): number[] {
    this.sortedAnswered ??= this.calls.filter((c) => c.answered).map((c) => c.ringMs).sort(ascending);
    return this.sortedAnswered;
  }

  answerRate(): number {
    return this.calls.length === 0 ? 0 : this.answered().length / this.calls.length;
  }

  /** Of the calls still ringing at `ageMs`, the share that was answered (with a prior of one call at the overall rate). */
  answerGivenRinging(ageMs: number): number {
    return (countAbove(this.answered(), ageMs) + this.answerRate()) / (countAbove(this.all(), ageMs) + 1);
  }

  /**
   * Of the calls still ringing at `ageMs`, the share answered within `horizonMs` more (with the
   * same prior: an overestimate, the safe side for answers).
   */
  answerWithin(ageMs: number, horizonMs: number): number {
    const a = this.answered();
    return (countAbove(a, ageMs) - countAbove(a, ageMs + horizonMs) + this.answerRate()) / (countAbove(this.all(), ageMs) + 1);
  }

  /** Times from the dial to the answer at these quantiles of the answered calls (ms); empty when none. */
  answerQuantiles(quantiles: readonly number[]): number[] {
    const a = this.answered();
    if (a.length === 0) return [];
    return quantiles.map((q) => a[Math.min(a.length - 1, Math.floor(q * (a.length - 1)))] as number);
  }

  /** Of the talks that lasted longer than `elapsedMs`, the share that ended within `horizonMs` more (none within no time). */
  freeWithin(elapsedMs: number, horizonMs: number): number {
    if (horizonMs <= 0) return 0;
    this.sortedTalks ??= [...this.talks].sort(ascending);
    const longer = countAbove(this.sortedTalks, elapsedMs);
    // No talk that long seen: assume the call goes on (the safe side: no operator counted).
    if (longer === 0) return 0;
    return (longer - countAbove(this.sortedTalks, elapsedMs + horizonMs)) / longer;
  }
}

/** A stored customer call, as the history is rebuilt from it. */
export interface StoredCallTimes {
  readonly startedAt: number;
  readonly answeredAt: number | null;
  readonly endedAt: number | null;
  readonly outcome: CustomerOutcome | null;
}

/**
 * The history as the live dialer had learnt it, from the stored calls (any order): ring times of
 * the ended calls (a machine verdict is an unanswered call, as AMD leaves no customer for an
 * operator; a technical failure never rang and is left out) and the talks of the calls an
 * operator took (answer to end: the bridge follows the answer within the customer's hold), each
 * followed by `wrapUpMs` of after-call work.
 */
export function historyOf(calls: readonly StoredCallTimes[], handled: readonly StoredCallTimes[], wrapUpMs = 0): CallHistory {
  const h = new CallHistory();
  const byStart = (a: StoredCallTimes, b: StoredCallTimes) => a.startedAt - b.startedAt;
  for (const c of [...calls].sort(byStart)) {
    if (c.endedAt === null || c.outcome === null || c.outcome === 'technical') continue;
    if (c.outcome === 'answered' || c.outcome === 'abandoned') {
      // An answer whose time was never reported (closed by the sweep) tells no ring time.
      if (c.answeredAt !== null) h.addCall({ ringMs: c.answeredAt - c.startedAt, answered: true });
    } else {
      h.addCall({ ringMs: c.endedAt - c.startedAt, answered: false });
    }
  }
  for (const c of [...handled].sort(byStart)) {
    if (c.outcome === 'answered' && c.answeredAt !== null && c.endedAt !== null) {
      h.addTalk(c.endedAt - c.answeredAt);
      h.addWrapUp(wrapUpMs);
    }
  }
  return h;
}
