import type { CompiledRules } from '../../core/rules/compile.ts';
import type { PlannedWrite } from './call-record-writes.ts';
import { isCrmWhitelisted, isExcludedNumber } from './crm-policy.ts';

/** The outbox key of a dialer call's register: the card's and the call record's (its finish waits for it). */
export function dialerRegisterKey(callId: string): string {
  return `dialer:${callId}:register`;
}

/** A dialer call as its card is registered in Bitrix24. */
export interface DialerCardCall {
  readonly callId: string;
  /** The Bitrix24 user the customer is put through to. */
  readonly operatorId: string;
  readonly e164: string;
  /** LEAD, CONTACT or COMPANY with its id, when the lead came from the CRM. */
  readonly entityType: string | null;
  readonly entityId: string | null;
  /** EXTERNAL_CALL_ID: unique per call (Bitrix24 merges overlapping calls to one number without it). */
  readonly externalId: string;
  readonly startedAt: number;
}

/**
 * The register of a dialer call: outgoing (TYPE 1) for the operator with the CRM entity, not shown
 * yet (SHOW 0), no new lead (the lead exists). Null when the CRM whitelist or the excluded numbers
 * say nothing is written (DECISIONS §18) — the call record then writes nothing either.
 */
export function planDialerRegister(call: DialerCardCall, rules: CompiledRules): PlannedWrite | null {
  if (isExcludedNumber(rules, call.e164) || !isCrmWhitelisted(rules, { userId: call.operatorId, extension: null })) return null;
  const params: Record<string, unknown> = {
    USER_ID: call.operatorId, PHONE_NUMBER: call.e164, TYPE: 1, SHOW: 0, CRM_CREATE: 0,
    EXTERNAL_CALL_ID: call.externalId,
    // ISO-8601 with an explicit zone, as the call record's writes send it.
    CALL_START_DATE: new Date(call.startedAt).toISOString().replace(/\.\d{3}Z$/, '+00:00'),
  };
  if (call.entityType !== null && call.entityId !== null) {
    params.CRM_ENTITY_TYPE = call.entityType;
    params.CRM_ENTITY_ID = call.entityId;
  }
  return { key: dialerRegisterKey(call.callId), method: 'telephony.externalcall.register', params };
}
