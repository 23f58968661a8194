import type { CrmStatusCode } from '../../core/outcome/crm-status.ts';
import type { Attempt, RefusalCode } from '../../core/routing/types.ts';
import type { CallOrigin, OutcomeDecision } from '../../core/rules/model.ts';
import type { NewCall } from './ports.ts';

/** Where an attempt's outcome came from. */
export type OutcomeSource = 'agi' | 'ami' | 'failopen';

/** One dial attempt as stored: what the route request answered, and how it ended. */
export interface CallAttemptRecord {
  readonly attemptNo: number;
  /** Position in the stored plan (null for a fail-open dial, which is not in any plan). */
  readonly planIndex: number | null;
  readonly trunkId: string | null;
  readonly dial: string;
  /** E.164 (`+7495…`) or null when the trunk presents its own number. */
  readonly callerId: string | null;
  readonly tier: string | null;
  readonly perMinute: number | null;
  readonly linkedid: string | null;
  readonly dialStatus: string | null;
  readonly hangupCause: number | null;
  readonly decision: OutcomeDecision | null;
  readonly outcomeSource: OutcomeSource | null;
  readonly startedAt: number;
  readonly endedAt: number | null;
}

/**
 * An ended outgoing call, with everything the CRM write needs (telephony.externalCall.finish /
 * register / attachRecord). Times are epoch milliseconds.
 */
export interface CallRecord {
  readonly callId: string;
  /** Bitrix24 CALL_ID of a click-to-call; null for a call dialled on a desk phone. */
  readonly crmCallId: string | null;
  readonly linkedid: string | null;
  readonly origin: CallOrigin;
  readonly userId: string | null;
  readonly extension: string | null;
  /** E.164 when the number was valid, else as dialled. */
  readonly number: string;
  readonly startedAt: number;
  readonly answeredAt: number | null;
  readonly endedAt: number;
  /** Talk time of the answered trunk leg, whole seconds (Bitrix24 DURATION). */
  readonly durationSec: number;
  readonly statusCode: CrmStatusCode;
  readonly failedReason: string | null;
  /** The trunk that carried the call (the answered one, else the last one dialled). */
  readonly trunkId: string | null;
  /** That trunk's Bitrix24 external line. */
  readonly b24Line: string | null;
  /** perMinute of the carrying trunk × started minutes of talk; null when no tariff is known. */
  readonly cost: number | null;
  /** MixMonitor file (MIXMONITOR_FILENAME) or null when not recorded. */
  readonly recording: string | null;
  readonly attempts: readonly CallAttemptRecord[];
}

/** The route computed once when the call started (DECISIONS §6), as stored with the call. */
export interface StoredPlan {
  readonly attempts: readonly Attempt[];
  readonly manualLine: string | null;
  readonly rotateAfterManualLine: boolean;
  readonly maxAttempts: number;
  readonly carrier: string | null;
  /** The gateway carrier on-net for the callee (null for landlines); absent in plans stored before it was kept. */
  readonly onNet?: string | null;
  /** The callee's country (ISO alpha-2); absent in older plans. */
  readonly country?: string | null;
  /** The department whose policy routed the call (the first, when several applied); absent in older plans. */
  readonly department?: string | null;
  /** Skip MixMonitor (an excluded number, DECISIONS §18). */
  readonly record: boolean;
}

export type CallState = 'planned' | 'routing' | 'stopped' | 'ended';
export type CrmHandoff = 'none' | 'pending' | 'done';

/** A call row. */
export interface StoredCall {
  readonly id: string;
  readonly crmCallId: string | null;
  readonly channelId: string | null;
  readonly linkedid: string | null;
  readonly originateActionId: string | null;
  readonly origin: CallOrigin;
  readonly userId: string | null;
  readonly extension: string | null;
  readonly number: string;
  readonly numberE164: string | null;
  readonly line: string | null;
  readonly state: CallState;
  readonly plan: StoredPlan | null;
  readonly refusalCode: RefusalCode | null;
  readonly refusalMessage: string | null;
  readonly stopReason: string | null;
  readonly statusCode: CrmStatusCode | null;
  readonly failedReason: string | null;
  readonly trunkId: string | null;
  readonly b24Line: string | null;
  readonly startedAt: number;
  readonly answeredAt: number | null;
  readonly endedAt: number | null;
  readonly durationSec: number | null;
  readonly cost: number | null;
  readonly recording: string | null;
  readonly tracked: unknown;
  readonly crmHandoff: CrmHandoff;
}

/** The record of an ended call, built from its row and attempts. */
export function callRecordOf(call: StoredCall, attempts: readonly CallAttemptRecord[]): CallRecord | null {
  if (call.endedAt === null || call.statusCode === null) return null;
  return {
    callId: call.id,
    crmCallId: call.crmCallId,
    linkedid: call.linkedid,
    origin: call.origin,
    userId: call.userId,
    extension: call.extension,
    number: call.numberE164 ?? call.number,
    startedAt: call.startedAt,
    answeredAt: call.answeredAt,
    endedAt: call.endedAt,
    durationSec: call.durationSec ?? 0,
    statusCode: call.statusCode,
    failedReason: call.failedReason,
    trunkId: call.trunkId,
    b24Line: call.b24Line,
    cost: call.cost,
    recording: call.recording,
    attempts,
  };
}

/** The stored form of a call just inserted (nothing about it is known yet beyond what was written). */
export function storedCallOf(c: NewCall): StoredCall {
  return {
    ...c, originateActionId: null, stopReason: null, statusCode: null, failedReason: null, trunkId: null, b24Line: null,
    answeredAt: null, endedAt: null, durationSec: null, cost: null, recording: null, tracked: null, crmHandoff: 'none',
  };
}
