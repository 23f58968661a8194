import path from 'node:path';
import type { CompiledRules } from '../../core/rules/compile.ts';
import type { CallRecord } from '../calls/call-record.ts';
import { isCrmWhitelisted, isExcludedNumber, portalUserId } from './crm-policy.ts';
import { RECORDING_PARAM } from './outbox-params.ts';
import { RECORDING_EXTENSIONS } from './recordings.ts';
import { dialerRegisterKey, planDialerRegister } from './dialer-card-writes.ts';

/** One planned outbox entry; `after` names the key of the entry it waits for. */
export interface PlannedWrite {
  readonly key: string;
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly after?: string;
  readonly inject?: Readonly<Record<string, string>>;
}

export interface WritePlan {
  readonly writes: readonly PlannedWrite[];
  /** Why nothing (or less) is written; null when everything is. */
  readonly note: string | null;
}

/** ISO-8601 with an explicit zone, seconds precision: `2026-11-23T14:05:09+00:00`. */
export function isoWithZone(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function finishParams(record: CallRecord, userId: string | null): Record<string, unknown> {
  const p: Record<string, unknown> = {
    DURATION: Math.max(0, Math.round(record.durationSec)),
    // Always explicit: Bitrix24's default (200 if DURATION > 0, else 304) mislabels failures.
    STATUS_CODE: record.statusCode,
  };
  if (userId !== null) p.USER_ID = userId;
  else if (record.extension !== null) p.USER_PHONE_INNER = record.extension;
  if (record.failedReason) p.FAILED_REASON = record.failedReason;
  if (record.cost !== null) {
    p.COST = Math.round(record.cost * 100) / 100;
    p.COST_CURRENCY = 'RUB';
  }
  return p;
}

/** A recording worth attaching: a wav/mp3 of a call that was answered (a busy or unanswered call's file holds only tones). */
function attachable(record: CallRecord): boolean {
  const { recording } = record;
  return recording !== null && record.statusCode === '200' && record.durationSec > 0
    && (RECORDING_EXTENSIONS as readonly string[]).includes(path.extname(recording).toLowerCase());
}

/**
 * What an ended call writes to Bitrix24 (DECISIONS §17–19):
 * - excluded numbers: nothing, ever;
 * - a click-to-call: `finish` (Bitrix24 registered it) then `attachRecord` — for whitelisted
 *   users; others only get `finish` when crm.finishNonWhitelisted is on (their card was hidden);
 * - a desk-phone call of a whitelisted user: `register` (TYPE 1, EXTERNAL_CALL_ID = Linkedid)
 *   → `finish` (CALL_ID from the register) → `attachRecord`, chained in that order;
 * - an auto-dialer call: its `finish` waits for the register the dialer enqueued when it placed
 *   the call (same key: the register is sent once, with the CRM entity of the lead).
 */
export function planCallRecordWrites(record: CallRecord, rules: CompiledRules): WritePlan {
  if (isExcludedNumber(rules, record.number)) return { writes: [], note: 'excluded number: nothing is written to Bitrix24' };
  const owner = { userId: record.userId, extension: record.extension };
  const whitelisted = isCrmWhitelisted(rules, owner);
  const userId = portalUserId(rules, owner);
  const writes: PlannedWrite[] = [];

  if (record.crmCallId !== null) {
    if (!whitelisted && !rules.rules.crm.finishNonWhitelisted) return { writes: [], note: 'user not on the CRM whitelist: call card hidden, nothing written' };
    const finishKey = `finish:${record.crmCallId}`;
    writes.push({ key: finishKey, method: 'telephony.externalcall.finish', params: { CALL_ID: record.crmCallId, ...finishParams(record, userId) } });
    if (whitelisted && attachable(record)) {
      writes.push({ key: `attach:${record.crmCallId}`, method: 'telephony.externalcall.attachRecord', params: { CALL_ID: record.crmCallId, [RECORDING_PARAM]: record.recording }, after: finishKey });
    }
    return { writes, note: whitelisted ? null : 'user not on the CRM whitelist: finished only (finishNonWhitelisted)' };
  }

  if (record.origin === 'dialer') return dialerWrites(record, rules, userId);
  if (!whitelisted) return { writes: [], note: 'desk-phone call of a user not on the CRM whitelist: not registered' };
  if (userId === null && record.extension === null) return { writes: [], note: 'desk-phone call without a known user or extension: not registered' };
  // Bitrix24 refuses to register what is not a phone number ("Unsupported phone number format").
  if (!/^\+\d{8,15}$/.test(record.number)) return { writes: [], note: `desk-phone call to "${record.number}", not a valid number: not registered` };
  const externalId = record.linkedid ?? record.callId;
  const base = `desk:${externalId}`;
  const register: Record<string, unknown> = {
    PHONE_NUMBER: record.number,
    TYPE: 1,
    CALL_START_DATE: isoWithZone(record.startedAt),
    CRM_CREATE: rules.rules.crm.createLeads ? 1 : 0,
    // Unique per call: without it Bitrix24 merges overlapping calls to one number (30-minute trap).
    EXTERNAL_CALL_ID: externalId,
    SHOW: 0,
  };
  if (userId !== null) register.USER_ID = userId;
  else register.USER_PHONE_INNER = record.extension;
  if (record.b24Line) register.LINE_NUMBER = record.b24Line;
  writes.push({ key: `${base}:register`, method: 'telephony.externalcall.register', params: register });
  writes.push({ key: `${base}:finish`, method: 'telephony.externalcall.finish', params: finishParams(record, userId), after: `${base}:register`, inject: { CALL_ID: 'CALL_ID' } });
  if (attachable(record)) {
    writes.push({ key: `${base}:attach`, method: 'telephony.externalcall.attachRecord', params: { [RECORDING_PARAM]: record.recording }, after: `${base}:finish`, inject: { CALL_ID: 'CALL_ID' } });
  }
  return { writes, note: null };
}

/**
 * The dialer enqueued the register (with the lead's CRM entity) before it dialled; planning it again
 * under the same key finds that entry, so the finish and recording chain after it. Should the
 * dialer's entry be missing, this one registers the call without the entity.
 */
function dialerWrites(record: CallRecord, rules: CompiledRules, userId: string | null): WritePlan {
  if (userId === null) return { writes: [], note: 'dialer call without an operator: not registered' };
  const register = planDialerRegister({
    callId: record.callId, operatorId: userId, e164: record.number, entityType: null, entityId: null,
    externalId: record.linkedid ?? record.callId, startedAt: record.startedAt,
  }, rules);
  if (register === null) return { writes: [], note: 'dialer call of an operator not on the CRM whitelist: not registered' };
  const base = dialerRegisterKey(record.callId).replace(/:register$/, '');
  const writes: PlannedWrite[] = [register];
  writes.push({ key: `${base}:finish`, method: 'telephony.externalcall.finish', params: finishParams(record, userId), after: register.key, inject: { CALL_ID: 'CALL_ID' } });
  if (attachable(record)) {
    writes.push({ key: `${base}:attach`, method: 'telephony.externalcall.attachRecord', params: { [RECORDING_PARAM]: record.recording }, after: `${base}:finish`, inject: { CALL_ID: 'CALL_ID' } });
  }
  return { writes, note: null };
}
