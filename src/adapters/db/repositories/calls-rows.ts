import type { ColumnType } from '../batch-update.ts';
import type { CallAttemptRecord, CallState, CrmHandoff, OutcomeSource, StoredCall, StoredPlan } from '../../../app/calls/call-record.ts';
import type { CrmStatusCode } from '../../../core/outcome/crm-status.ts';
import type { RefusalCode } from '../../../core/routing/types.ts';
import type { CallOrigin, OutcomeDecision } from '../../../core/rules/model.ts';

/** Row shapes as the drivers return them: PostgreSQL gives bigint columns as strings, SQLite as numbers. */
export interface CallRow {
  id: string;
  crm_call_id: string | null;
  channel_id: string | null;
  linkedid: string | null;
  originate_action_id: string | null;
  origin: string;
  user_id: string | null;
  extension: string | null;
  number: string;
  number_e164: string | null;
  line: string | null;
  state: string;
  plan: string | null;
  refusal_code: string | null;
  refusal_message: string | null;
  stop_reason: string | null;
  status_code: string | null;
  failed_reason: string | null;
  trunk_id: string | null;
  b24_line: string | null;
  started_at: number | string;
  answered_at: number | string | null;
  ended_at: number | string | null;
  duration_sec: number | string | null;
  cost: number | string | null;
  recording: string | null;
  tracked: string | null;
  crm_handoff: string;
  updated_at: number | string;
}

export interface AttemptRow {
  id: number | string;
  call_id: string;
  attempt_no: number | string;
  plan_index: number | string | null;
  trunk_id: string | null;
  dial: string;
  caller_id: string | null;
  tier: string | null;
  per_minute: number | string | null;
  linkedid: string | null;
  dial_status: string | null;
  hangup_cause: number | string | null;
  decision: string | null;
  outcome_source: string | null;
  started_at: number | string;
  ended_at: number | string | null;
}

export function num(v: number | string | null): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function parseJson<T>(text: string | null, what: string): T | null {
  if (text === null || text === '') return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`calls: stored ${what} is not valid JSON`);
  }
}

export function toStoredCall(r: CallRow): StoredCall {
  return {
    id: r.id,
    crmCallId: r.crm_call_id,
    channelId: r.channel_id,
    linkedid: r.linkedid,
    originateActionId: r.originate_action_id,
    origin: r.origin as CallOrigin,
    userId: r.user_id,
    extension: r.extension,
    number: r.number,
    numberE164: r.number_e164,
    line: r.line,
    state: r.state as CallState,
    plan: parseJson<StoredPlan>(r.plan, `plan of call ${r.id}`),
    refusalCode: r.refusal_code as RefusalCode | null,
    refusalMessage: r.refusal_message,
    stopReason: r.stop_reason,
    statusCode: r.status_code as CrmStatusCode | null,
    failedReason: r.failed_reason,
    trunkId: r.trunk_id,
    b24Line: r.b24_line,
    startedAt: Number(r.started_at),
    answeredAt: num(r.answered_at),
    endedAt: num(r.ended_at),
    durationSec: num(r.duration_sec),
    cost: num(r.cost),
    recording: r.recording,
    tracked: parseJson<unknown>(r.tracked, `tracked state of call ${r.id}`),
    crmHandoff: r.crm_handoff as CrmHandoff,
  };
}

export function toAttempt(r: AttemptRow): CallAttemptRecord {
  return {
    attemptNo: Number(r.attempt_no),
    planIndex: num(r.plan_index),
    trunkId: r.trunk_id,
    dial: r.dial,
    callerId: r.caller_id,
    tier: r.tier,
    perMinute: num(r.per_minute),
    linkedid: r.linkedid,
    dialStatus: r.dial_status,
    hangupCause: num(r.hangup_cause),
    decision: r.decision as OutcomeDecision | null,
    outcomeSource: r.outcome_source as OutcomeSource | null,
    startedAt: Number(r.started_at),
    endedAt: num(r.ended_at),
  };
}

/** StoredCall field → column, for partial updates. */
/** Column types of the calls a batched update may set (updateRows casts to them). */
export const CALL_COLUMN_TYPES: Readonly<Record<string, ColumnType>> = {
  linkedid: 'text', originate_action_id: 'text', state: 'text', stop_reason: 'text', status_code: 'text', failed_reason: 'text',
  trunk_id: 'text', b24_line: 'text', answered_at: 'bigint', ended_at: 'bigint', duration_sec: 'integer', cost: 'double precision',
  recording: 'text', tracked: 'text', crm_handoff: 'text', updated_at: 'bigint', crm_call_id: 'text', user_id: 'text',
};

/** Column types of an attempt's outcome. */
export const ATTEMPT_OUTCOME_TYPES: Readonly<Record<string, ColumnType>> = {
  dial_status: 'text', hangup_cause: 'integer', decision: 'text', outcome_source: 'text', ended_at: 'bigint',
};

export const CALL_COLUMNS: Readonly<Record<string, string>> = {
  linkedid: 'linkedid',
  originateActionId: 'originate_action_id',
  state: 'state',
  stopReason: 'stop_reason',
  statusCode: 'status_code',
  failedReason: 'failed_reason',
  trunkId: 'trunk_id',
  b24Line: 'b24_line',
  answeredAt: 'answered_at',
  endedAt: 'ended_at',
  durationSec: 'duration_sec',
  cost: 'cost',
  recording: 'recording',
  crmHandoff: 'crm_handoff',
  crmCallId: 'crm_call_id',
  userId: 'user_id',
};

/** The plan's destination and department as plain columns, which the savings report groups by. */
export function planColumns(plan: StoredPlan | null): Record<string, string | null> {
  if (plan === null) return { dest_carrier: null, dest_on_net: null, dest_country: null, department_id: null };
  return {
    dest_carrier: plan.carrier,
    dest_on_net: plan.onNet === undefined ? plan.carrier : plan.onNet,
    dest_country: plan.country ?? null,
    department_id: plan.department ?? null,
  };
}
