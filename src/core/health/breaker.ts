import type { BreakerSettings } from '../rules/model.ts';
import type { Failure } from './snapshot.ts';

/**
 * The circuit breaker of one trunk, evaluated from its stored technical failures: N failures
 * within M seconds (or one "no credit" failure on a GSM trunk) open it for T seconds; then the
 * first attempt started after that is the trial (half-open): a trial that fails opens it again,
 * one that does not closes it, and failures before the close no longer count.
 */

/** Q.850 68 "facility rejected": what a GSM gateway reports for a SIM out of credit. */
export const NO_CREDIT_CAUSE = 68;

/** The first attempt a trunk got after its open period: the trial call. */
export interface Trial {
  readonly startedAt: number;
  /** Null while no outcome is stored. */
  readonly endedAt: number | null;
  /** True: a technical failure; false: any other outcome; null: none stored yet. */
  readonly failed: boolean | null;
}

export interface Opening {
  readonly since: number;
  /** The failures within the window when it opened (the explanation counts them by cause). */
  readonly failures: readonly Failure[];
}

/** What one evaluation hands the next: the opening still in force, and from when failures count. */
export interface BreakerCarry {
  readonly open: Opening | null;
  readonly countFrom: number;
}

export const FRESH: BreakerCarry = Object.freeze({ open: null, countFrom: Number.NEGATIVE_INFINITY });

export type BreakerView =
  | { readonly state: 'closed' }
  | { readonly state: 'open'; readonly since: number; readonly until: number; readonly failures: readonly Failure[] }
  /** `trialSince` null: the next call on this trunk is the trial. */
  | { readonly state: 'half-open'; readonly since: number; readonly failures: readonly Failure[]; readonly trialSince: number | null };

export interface BreakerInput {
  readonly settings: BreakerSettings;
  readonly gsm: boolean;
  /** This trunk's failures, oldest first. */
  readonly failures: readonly Failure[];
  readonly now: number;
  readonly carry: BreakerCarry;
  /** A trial without an outcome for this long was answered (Dial fails within its ring time). */
  readonly trialTimeoutMs: number;
  /** The first attempt started at or after `from`; undefined when not looked up yet. */
  readonly trialFrom: (from: number) => Trial | null | undefined;
}

export type BreakerResult =
  | { readonly view: BreakerView; readonly carry: BreakerCarry }
  /** Look the trial up (the first attempt started at or after `from`) and evaluate again. */
  | { readonly needTrialFrom: number };

export function evaluateBreaker(input: BreakerInput): BreakerResult {
  const { settings, now } = input;
  const openMs = settings.openSeconds * 1000;
  let countFrom = input.carry.countFrom;
  let open = input.carry.open ?? firstOpening(input, countFrom);
  while (open !== null) {
    const until = open.since + openMs;
    if (now < until) return { view: { state: 'open', since: open.since, until, failures: open.failures }, carry: { open, countFrom } };
    const trial = input.trialFrom(until);
    if (trial === undefined) return { needTrialFrom: until };
    if (trial === null || (trial.failed === null && now - trial.startedAt < input.trialTimeoutMs)) {
      const view: BreakerView = { state: 'half-open', since: open.since, failures: open.failures, trialSince: trial?.startedAt ?? null };
      return { view, carry: { open, countFrom } };
    }
    if (trial.failed === true) {
      const at = trial.endedAt ?? trial.startedAt;
      open = { since: at, failures: windowBefore(input.failures, at, settings.windowSeconds * 1000, countFrom) };
      continue;
    }
    countFrom = trial.endedAt ?? trial.startedAt;
    open = firstOpening(input, countFrom);
  }
  return { view: CLOSED, carry: { open: null, countFrom } };
}

const CLOSED: BreakerView = Object.freeze({ state: 'closed' });

/** The first failure after `countFrom` that opens the breaker, if any. */
function firstOpening(input: BreakerInput, countFrom: number): Opening | null {
  const { failures, settings } = input;
  const windowMs = settings.windowSeconds * 1000;
  let first = 0;
  for (let i = 0; i < failures.length; i++) {
    const f = failures[i] as Failure;
    if (f.at <= countFrom) {
      first = i + 1;
      continue;
    }
    while ((failures[first] as Failure).at <= f.at - windowMs) first++;
    if (i - first + 1 >= settings.failures || (input.gsm && f.cause === NO_CREDIT_CAUSE)) {
      return { since: f.at, failures: failures.slice(first, i + 1) };
    }
  }
  return null;
}

function windowBefore(failures: readonly Failure[], at: number, windowMs: number, countFrom: number): Failure[] {
  return failures.filter((f) => f.at <= at && f.at > at - windowMs && f.at > countFrom);
}
