import { classifyOutcome } from '../outcome/classify.ts';
import { crmStatusFor, UNSEEN_DIAL_STATUS, type AttemptOutcome, type CallEnd, type CrmStatus } from '../outcome/crm-status.ts';
import type { OutcomeDecision } from '../rules/model.ts';
import type { TrackedCall, TrackedLeg } from './tracked-call.ts';

/** A stored attempt as the summary needs it. */
export interface AttemptView {
  readonly attemptNo: number;
  readonly trunkId: string | null;
  readonly dial: string;
  readonly tier: string | null;
  readonly perMinute: number | null;
  readonly dialStatus: string | null;
  readonly hangupCause: number | null;
  readonly decision: OutcomeDecision | null;
}

/** What the route side stored about the call (null: no route request ever reached the connector). */
export interface RouteFacts {
  readonly refusalCode: string | null;
  readonly refusalMessage: string | null;
  /** The route answered stop (callee outcome, cap, plan used up, manual line). */
  readonly stopped: boolean;
  readonly stopReason: string | null;
  readonly attempts: readonly AttemptView[];
}

/**
 * What the PBX's own records say about the caller's channel (a stored CDR), read when the tracker
 * missed part of the call: whether a Dial of it was answered, and the talk time (billsec).
 */
export interface PbxTalk {
  readonly answered: boolean;
  readonly talkSec: number;
}

/** FAILED_REASON of an answered call whose talk time nobody observed (DECISIONS §31). */
export const TALK_TIME_UNKNOWN = 'talk time unknown: the end of the call was not seen (the connector or its AMI connection was down) and the PBX kept no record of it';

export interface LearntOutcome {
  readonly attemptNo: number;
  readonly dialStatus: string;
  readonly hangupCause: number | null;
  readonly decision: OutcomeDecision;
  readonly endedAt: number | null;
}

export interface CallSummary {
  readonly status: CrmStatus;
  /** Attempt number of the attempt that carried the call (answered, else the last dialled). */
  readonly carrying: number | null;
  readonly answeredAt: number | null;
  readonly durationSec: number;
  /** Outcomes of stored attempts learnt from AMI (the attempt that ended the call). */
  readonly learnt: readonly LearntOutcome[];
  /** Fail-open dials (no route request stored them), numbered after the stored ones. */
  readonly failOpen: readonly (LearntOutcome & { readonly dial: string; readonly startedAt: number })[];
}

const ORIGINATE_REASONS: Readonly<Record<string, string>> = {
  '0': 'the channel could not be created or failed',
  '1': 'hung up',
  '3': 'rang without answer',
  '5': 'busy',
  '8': 'congestion',
};

/** `Local/79161234567@trunk` ↔ DialBegin DialString `79161234567@trunk`: compare what follows the technology. */
function sameDial(dial: string, dialString: string): boolean {
  const slash = dial.indexOf('/');
  return (slash >= 0 ? dial.slice(slash + 1) : dial) === dialString;
}

/**
 * How a leg ended: the DIALSTATUS variable first (DialEnd disagrees for causes 21/38/41/68), then
 * DialEnd, then what happened. A leg with no end at all (no DialEnd, answer or Hangup) ended
 * while the connector was not listening: unseen, not guessed. No leg: the caller hung up before
 * it was dialled, unless the call itself was never seen.
 */
function legStatus(leg: TrackedLeg | undefined, callSeen: boolean, gapAt: number | null = null): { dialStatus: string; cause: number | null } {
  if (!leg) return { dialStatus: callSeen && gapAt === null ? 'CANCEL' : UNSEEN_DIAL_STATUS, cause: null };
  // Nothing but its Hangup seen, and events were missed since it was dialled: it may have been answered.
  const missed = leg.endedAt === null || (gapAt !== null && leg.begunAt <= gapAt);
  if (leg.dialStatusVar === null && leg.dialEnd === null && leg.answeredAt === null && missed) {
    return { dialStatus: UNSEEN_DIAL_STATUS, cause: null };
  }
  const status = leg.dialStatusVar ?? leg.dialEnd ?? (leg.answeredAt !== null ? 'ANSWER' : 'CANCEL');
  return { dialStatus: status, cause: leg.cause };
}

/**
 * Turns a finished TrackedCall and the stored route into the call's outcome (DECISIONS §17):
 * the stored attempts keep the outcomes the route requests reported; the attempt that ended the
 * call (answered, or the caller hung up) gets its outcome from its trunk leg.
 */
export function summarizeCall(tracked: TrackedCall, route: RouteFacts | null, pbx: PbxTalk | null = null): CallSummary {
  const learnt: LearntOutcome[] = [];
  const failOpen: (LearntOutcome & { dial: string; startedAt: number })[] = [];
  const outcomes: AttemptOutcome[] = [];
  let carrying: number | null = null;
  let answeredLeg: TrackedLeg | null = null;
  let answered = false;
  const stored = route?.attempts ?? [];
  const seen = wasSeen(tracked);

  for (const a of stored) {
    const leg = [...tracked.legs].reverse().find((l) => sameDial(a.dial, l.dialString));
    if (a.dialStatus !== null) {
      outcomes.push({ dialStatus: a.dialStatus, hangupCause: a.hangupCause });
    } else {
      const reported = tracked.reported.find((r) => r.attempt === a.attemptNo);
      let o = reported ? { dialStatus: reported.dialStatus, cause: reported.cause } : legStatus(leg, seen, tracked.gapAt);
      // The last attempt's answer was missed, but the PBX's records have it.
      if (o.dialStatus === UNSEEN_DIAL_STATUS && pbx?.answered === true && a === stored[stored.length - 1]) o = { dialStatus: 'ANSWER', cause: 16 };
      const decision = classifyOutcome(o.dialStatus, o.cause);
      learnt.push({ attemptNo: a.attemptNo, dialStatus: o.dialStatus, hangupCause: o.cause, decision, endedAt: leg?.endedAt ?? tracked.endedAt });
      outcomes.push({ dialStatus: o.dialStatus, hangupCause: o.cause });
    }
    carrying = a.attemptNo;
    const last = outcomes[outcomes.length - 1];
    if (last?.dialStatus.toUpperCase() === 'ANSWER') {
      answered = true;
      answeredLeg = leg ?? null;
    }
  }

  // Fail-open dials: every leg no stored attempt accounts for. The connector may have answered a
  // route the dialplan could not use (a missing function), so stored attempts do not rule them out.
  if (tracked.failOpen) {
    let n = stored.length;
    for (const leg of tracked.legs.filter((l) => !stored.some((a) => sameDial(a.dial, l.dialString)))) {
      n++;
      const o = legStatus(leg, seen);
      failOpen.push({
        attemptNo: n, dial: leg.dialString, dialStatus: o.dialStatus, hangupCause: o.cause,
        decision: classifyOutcome(o.dialStatus, o.cause), endedAt: leg.endedAt, startedAt: leg.begunAt,
      });
      outcomes.push({ dialStatus: o.dialStatus, hangupCause: o.cause });
      carrying = n;
      if (o.dialStatus === 'ANSWER') {
        answered = true;
        answeredLeg = leg;
      }
    }
  }

  const end = callEnd(tracked, route, outcomes, stored);
  let status = crmStatusFor(end);
  if (end.kind === 'routed' && end.exhausted && route?.stopReason && stored[stored.length - 1]?.tier === 'manual') {
    status = { code: status.code, failedReason: route.stopReason };
  }
  const answeredAt = answeredLeg?.answeredAt ?? null;
  const talk = answered ? talkTime(tracked, answeredLeg, pbx) : 0;
  if (talk === null) status = { code: status.code, failedReason: TALK_TIME_UNKNOWN };
  return { status, carrying, answeredAt, durationSec: talk ?? 0, learnt, failOpen };
}

/**
 * Talk time of the answered leg, seconds: ANSWEREDTIME (Asterisk's own measure), else its answer
 * and end as seen, else the PBX's records; null when none of them knows it — never the outage.
 */
function talkTime(tracked: TrackedCall, leg: TrackedLeg | null, pbx: PbxTalk | null): number | null {
  if (tracked.answeredTime !== null) return tracked.answeredTime;
  const end = leg?.endedAt ?? (tracked.endUnseen ? null : tracked.endedAt);
  if (leg && leg.answeredAt !== null && end !== null) return Math.max(0, Math.round((end - leg.answeredAt) / 1000));
  if (pbx?.answered === true) return pbx.talkSec;
  return null;
}

/** Whether any AMI event of the call was seen (a call closed only from its stored row has none). */
function wasSeen(tracked: TrackedCall): boolean {
  return tracked.channels > 0 || tracked.originate !== null;
}

function callEnd(tracked: TrackedCall, route: RouteFacts | null, outcomes: readonly AttemptOutcome[], stored: readonly AttemptView[]): CallEnd {
  if (route?.refusalCode) {
    const reason = route.refusalMessage ?? route.refusalCode;
    return route.refusalCode === 'INVALID_NUMBER' ? { kind: 'invalid-number', reason } : { kind: 'refused-policy', reason };
  }
  if (tracked.originate?.response === 'Failure' && outcomes.length === 0) {
    const why = ORIGINATE_REASONS[tracked.originate.reason] ?? `reason ${tracked.originate.reason}`;
    return { kind: 'manager-not-answered', reason: `the manager's phone did not answer the click-to-call: ${why} (OriginateResponse Reason ${tracked.originate.reason})` };
  }
  if (outcomes.length === 0) return wasSeen(tracked) ? { kind: 'manager-cancelled' } : { kind: 'unseen' };
  const last = outcomes[outcomes.length - 1] as AttemptOutcome;
  const lastDecision = classifyOutcome(last.dialStatus, last.hangupCause);
  const lastStoredDecision = stored[stored.length - 1]?.decision ?? null;
  const rotated = (lastStoredDecision ?? lastDecision) === 'rotate';
  // A technical failure with no stop answered: the caller hung up before the next attempt.
  if (rotated && !(route?.stopped ?? false) && !tracked.failOpen) return { kind: 'manager-cancelled' };
  return { kind: 'routed', attempts: outcomes, exhausted: rotated };
}
