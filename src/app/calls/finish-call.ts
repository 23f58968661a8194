import { billedSeconds, PER_MINUTE, type Increment } from '../../core/rules/billing.ts';
import { costUnits, UNITS_PER_RUB } from '../../core/savings/money.ts';
import { summarizeCall, type PbxTalk, type RouteFacts } from '../../core/calls/summarize.ts';
import type { TrackedCall } from '../../core/calls/tracked-call.ts';
import type { CallAttemptRecord, CallRecord, StoredCall } from './call-record.ts';
import type { EndedCall, NewCall } from './ports.ts';

export interface FinishOptions {
  /** A trunk's Bitrix24 line (current rules). */
  readonly lineOf: (trunkId: string) => string | null;
  /** The trunk id the dialplan fails open to (DECISIONS §10), for the record of such calls. */
  readonly failOpenTrunk: string | null;
  /** Its per-minute price, when known. */
  readonly failOpenPerMinute: number | null;
  /**
   * The carrying trunk's billing increment (current rules; absent: every started minute). The
   * price itself is the one planned with the call.
   */
  readonly incrementOf?: (trunkId: string) => Increment;
}

/**
 * Cost in roubles: the carrying trunk's per-minute price × the billed seconds of talk under its
 * increment (60/60: a 61 s call bills 2 minutes), to a ten-thousandth of a rouble.
 */
export function callCost(perMinute: number | null, durationSec: number, increment: Increment = PER_MINUTE): number | null {
  if (perMinute === null) return null;
  return costUnits(perMinute, billedSeconds(durationSec, increment)) / UNITS_PER_RUB;
}

function routeFacts(call: StoredCall | null, attempts: readonly CallAttemptRecord[]): RouteFacts | null {
  if (call === null) return null;
  return {
    refusalCode: call.refusalCode,
    refusalMessage: call.refusalMessage,
    stopped: call.state === 'stopped',
    stopReason: call.stopReason,
    attempts,
  };
}

/** A call the route side never saw (the connector was unreachable, so the dialplan failed open). */
function unseenCall(tracked: TrackedCall): NewCall {
  const key = tracked.callerUniqueid ?? tracked.linkedid;
  return {
    id: `desk-${key}`, crmCallId: null, channelId: null, linkedid: tracked.linkedid, origin: 'phone', userId: null,
    extension: tracked.callerNum, number: tracked.exten ?? '', numberE164: null, line: null, state: 'ended', plan: null,
    refusalCode: null, refusalMessage: null, startedAt: tracked.firstAt,
  };
}

/** Builds the ended call's final write and its CallRecord. */
export function finishCall(
  tracked: TrackedCall,
  call: StoredCall | null,
  attempts: readonly CallAttemptRecord[],
  options: FinishOptions,
  pbx: PbxTalk | null = null,
): { readonly ended: EndedCall; readonly record: CallRecord } {
  const summary = summarizeCall(tracked, routeFacts(call, attempts), pbx);
  const base: NewCall = call ? { ...call, linkedid: call.linkedid ?? tracked.linkedid } : unseenCall(tracked);
  const byNo = new Map(summary.learnt.map((l) => [l.attemptNo, l]));
  const finalAttempts: CallAttemptRecord[] = attempts.map((a) => {
    const l = byNo.get(a.attemptNo);
    return l ? { ...a, dialStatus: l.dialStatus, hangupCause: l.hangupCause, decision: l.decision, outcomeSource: 'ami', endedAt: l.endedAt } : a;
  });
  const newAttempts: CallAttemptRecord[] = summary.failOpen.map((f) => ({
    attemptNo: f.attemptNo, planIndex: null, trunkId: options.failOpenTrunk, dial: f.dial, callerId: null, tier: null,
    perMinute: options.failOpenPerMinute, linkedid: tracked.linkedid, dialStatus: f.dialStatus, hangupCause: f.hangupCause,
    decision: f.decision, outcomeSource: 'failopen', startedAt: f.startedAt, endedAt: f.endedAt,
  }));
  const all = [...finalAttempts, ...newAttempts];
  const carrying = all.find((a) => a.attemptNo === summary.carrying) ?? null;
  const trunkId = carrying?.trunkId ?? null;
  const ended: EndedCall = {
    call: base,
    statusCode: summary.status.code,
    failedReason: summary.status.failedReason,
    trunkId,
    b24Line: trunkId !== null ? options.lineOf(trunkId) : null,
    answeredAt: summary.answeredAt,
    endedAt: tracked.endedAt ?? tracked.lastAt,
    durationSec: summary.durationSec,
    cost: callCost(carrying?.perMinute ?? null, summary.durationSec, trunkId !== null && options.incrementOf ? options.incrementOf(trunkId) : PER_MINUTE),
    recording: tracked.recording,
    tracked,
    crmHandoff: 'pending',
    newAttempts,
    attemptOutcomes: summary.learnt.map((l) => ({
      attemptNo: l.attemptNo,
      outcome: { dialStatus: l.dialStatus, hangupCause: l.hangupCause, decision: l.decision, source: 'ami' as const, endedAt: l.endedAt },
    })),
  };
  const record: CallRecord = {
    callId: base.id,
    crmCallId: base.crmCallId,
    linkedid: tracked.linkedid,
    origin: base.origin,
    userId: base.userId,
    extension: base.extension,
    number: base.numberE164 ?? base.number,
    startedAt: base.startedAt,
    answeredAt: ended.answeredAt,
    endedAt: ended.endedAt,
    durationSec: ended.durationSec,
    statusCode: ended.statusCode,
    failedReason: ended.failedReason,
    trunkId,
    b24Line: ended.b24Line,
    cost: ended.cost,
    recording: ended.recording,
    attempts: all,
  };
  return { ended, record };
}
