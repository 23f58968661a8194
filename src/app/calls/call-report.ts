import type { TrackedCall } from '../../core/calls/tracked-call.ts';
import type { RouteDecision } from '../../core/routing/types.ts';
import { decisionToJson, decisionToText } from '../routing/render-decision.ts';
import type { CallAttemptRecord, StoredCall } from './call-record.ts';

/** Everything `calls show` prints about one call. */
export interface CallReport {
  readonly call: StoredCall;
  readonly attempts: readonly CallAttemptRecord[];
  /** The decision re-explained with the rules in force now (null when it cannot be rebuilt). */
  readonly explanation: RouteDecision | null;
}

function iso(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}

function outcomeText(a: CallAttemptRecord): string {
  if (a.dialStatus === null) return 'no outcome yet';
  const source = a.outcomeSource === 'agi' ? 'reported by the next route request' : a.outcomeSource === 'failopen' ? 'fail-open dial, from AMI events' : 'from AMI events';
  return `${a.dialStatus}, cause ${a.hangupCause ?? 0}${a.decision ? ` → ${a.decision}` : ''} (${source})`;
}

function trackedOf(v: unknown): TrackedCall | null {
  return v !== null && typeof v === 'object' && Array.isArray((v as TrackedCall).legs) ? (v as TrackedCall) : null;
}

export function callReportToText(r: CallReport): string {
  const c = r.call;
  const kind = c.crmCallId !== null ? `click-to-call (${c.origin}), CRM call ${c.crmCallId}` : 'dialled on a desk phone';
  const lines = [
    `call ${c.id}: ${kind}`,
    `  caller     user ${c.userId ?? '-'}, extension ${c.extension ?? '-'}`,
    `  number     ${c.numberE164 ?? c.number}${c.plan?.carrier ? ` (carrier ${c.plan.carrier})` : ''}${c.line ? `, manual line ${c.line}` : ''}`,
    `  linkedid   ${c.linkedid ?? '-'}`,
    `  started    ${iso(c.startedAt)}   answered ${iso(c.answeredAt)}   ended ${iso(c.endedAt)}`,
    `  state      ${c.state}${c.stopReason ? ` (route stopped: ${c.stopReason})` : ''}`,
  ];
  if (c.refusalCode) lines.push(`  refused    ${c.refusalCode}: ${c.refusalMessage ?? ''}`);
  if (c.statusCode) {
    lines.push(`  STATUS_CODE ${c.statusCode}${c.failedReason ? ` (${c.failedReason})` : ''}, duration ${c.durationSec ?? 0} s, cost ${c.cost ?? '-'}`);
    lines.push(`  trunk      ${c.trunkId ?? '-'}${c.b24Line ? ` (Bitrix24 line ${c.b24Line})` : ''}`);
    lines.push(`  recording  ${c.recording ?? '-'}   CRM hand-off ${c.crmHandoff}`);
  }
  lines.push('', 'plan (computed once when the call started):');
  if (!c.plan || c.plan.attempts.length === 0) lines.push('  (none)');
  c.plan?.attempts.forEach((a, i) => {
    lines.push(`  ${i + 1}. ${a.trunk}  tier ${a.tier}  ${a.dial}  caller ID ${a.callerId ?? "trunk's own"}  ${a.perMinute}/min  ring ${a.ringTimeout} s`);
  });
  lines.push('', 'attempts:');
  if (r.attempts.length === 0) lines.push('  (none dialled)');
  for (const a of r.attempts) {
    lines.push(`  #${a.attemptNo} ${a.trunkId ?? '-'}  ${a.dial}  caller ID ${a.callerId ?? '-'}  linkedid ${a.linkedid ?? '-'}`);
    lines.push(`      ${outcomeText(a)}`);
  }
  const tracked = trackedOf(c.tracked);
  if (tracked) {
    lines.push('', `seen on AMI (Linkedid ${tracked.linkedid}, ${tracked.channels} channel(s)${tracked.failOpen ? ', failed open' : ''}${tracked.originate ? `, OriginateResponse ${tracked.originate.response} reason ${tracked.originate.reason}` : ''}):`);
    for (const leg of tracked.legs) {
      lines.push(`  leg ${leg.uniqueid}  ${leg.dialString}  DialEnd ${leg.dialEnd ?? '-'}  DIALSTATUS ${leg.dialStatusVar ?? '-'}  cause ${leg.cause ?? '-'}${leg.answeredAt !== null ? `  answered ${iso(leg.answeredAt)}` : ''}`);
    }
    if (tracked.cdrBillable !== null) lines.push(`  Cdr BillableSeconds ${tracked.cdrBillable} (cross-check only)`);
  }
  if (r.explanation) {
    lines.push('', 'why this plan (re-explained with the rules in force now; a reload since the call may differ):');
    for (const l of decisionToText(r.explanation).split('\n')) lines.push(`  ${l}`);
  }
  return lines.join('\n');
}

export function callReportToJson(r: CallReport): Record<string, unknown> {
  return { call: r.call, attempts: r.attempts, explanation: r.explanation ? decisionToJson(r.explanation) : null };
}
