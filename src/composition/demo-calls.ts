import type { CallRecord } from '../app/calls/call-record.ts';
import type { Bitrix24Double } from '../doubles/bitrix24/server.ts';
import type { DoubledConnector } from './demo-environment.ts';

/** One scripted click-to-call of the demo. */
export interface DemoCall {
  readonly title: string;
  readonly userId: string;
  /** As Bitrix24 sends PHONE_NUMBER_INTERNATIONAL. */
  readonly number: string;
  readonly line?: string;
}

/**
 * What a newcomer should see: cheapest on-net route, rotation after a technical failure, no
 * rotation after busy, a forbidden manual line, a user whose calls stay out of the CRM, an excluded
 * number. The demo trunk script (src/doubles/asterisk/demo-script.ts): numbers ending in 0 are
 * busy, the MegaFon SIM has no balance (cause 68), everything else answers.
 */
export const DEMO_CALLS: readonly DemoCall[] = [
  { title: 'MTS client from Sales: on-net MTS gateway, answered', userId: '1', number: '+79151234567' },
  { title: 'MegaFon client: MegaFon SIM out of credit (cause 68) → rotates, answered', userId: '2', number: '+79261234567' },
  { title: 'Beeline client, busy: no rotation, CRM status 486', userId: '1', number: '+79031234560' },
  { title: 'HR manager picks a Sales line: refused, 403, nothing dialled', userId: '4', number: '+79151234567', line: 'mts' },
  { title: 'HR manager not on the CRM whitelist: call card hidden, nothing written', userId: '5', number: '+79151234568' },
  { title: 'Sales calls the water delivery (excluded number): not written to the CRM', userId: '1', number: '+74950001122' },
];

/** The ONEXTERNALCALLSTART payload Bitrix24 posts after a click on a number. */
export function startEventData(crmCallId: string, call: Omit<DemoCall, 'title'>): Record<string, string> {
  return {
    PHONE_NUMBER: call.number.replace(/^\+7/, '8'),
    PHONE_NUMBER_INTERNATIONAL: call.number,
    EXTENSION: '',
    USER_ID: call.userId,
    CALL_LIST_ID: '0',
    LINE_NUMBER: call.line ?? '',
    IS_MOBILE: '0',
    CALL_ID: crmCallId,
    CRM_ENTITY_TYPE: 'CONTACT',
    CRM_ENTITY_ID: '0',
  };
}

/** Posts ONEXTERNALCALLSTART the way Bitrix24 does after a click (the call is registered first). */
export async function clickToCall(bitrix24: Bitrix24Double, baseUrl: string, call: DemoCall): Promise<string> {
  const registered = bitrix24.state.registerClickToCall(call.userId, call.number, call.line ?? '');
  const res = await bitrix24.postEvent(`${baseUrl}/bitrix24/events`, 'ONEXTERNALCALLSTART', startEventData(registered.CALL_ID, call));
  if (res.status !== 200) throw new Error(`the connector answered HTTP ${res.status} to ONEXTERNALCALLSTART`);
  return registered.CALL_ID;
}

export interface DemoOutcome {
  readonly call: DemoCall;
  readonly crmCallId: string;
  readonly record: CallRecord | null;
  /** What Bitrix24 received for this call: finish / hide with their STATUS_CODE. */
  readonly crmWrites: readonly string[];
}

/** Runs the scripted calls one after another and reports what happened to each. */
export async function runDemoCalls(d: DoubledConnector, calls: readonly DemoCall[] = DEMO_CALLS, timeoutMs = 60_000): Promise<DemoOutcome[]> {
  const out: DemoOutcome[] = [];
  for (const call of calls) {
    const crmCallId = await clickToCall(d.bitrix24, d.baseUrl, call);
    const deadline = Date.now() + timeoutMs;
    let record: CallRecord | null = null;
    let writes: string[] = [];
    for (;;) {
      const stored = await d.connector.calls.store.findCall(crmCallId);
      record = stored ? await d.connector.calls.store.getRecord(stored.id) : null;
      writes = crmWritesFor(d.bitrix24, crmCallId);
      const queued = await outboxHolds(d, crmCallId);
      // Settled: the call ended and its CRM writes left the outbox, or it was never dialled and Bitrix24 heard about it.
      // Refused before or at routing: no row, or a stopped row without a plan, and a finish sent.
      const neverDialled = stored === null ? writes.some((w) => w.includes('finish')) : stored.state === 'stopped' && stored.plan === null;
      const settled = stored?.state === 'ended'
        ? stored.crmHandoff !== 'pending' && !queued
        : neverDialled && writes.length > 0 && !queued;
      if (settled || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    out.push({ call, crmCallId, record, crmWrites: writes });
  }
  return out;
}

async function outboxHolds(d: DoubledConnector, crmCallId: string): Promise<boolean> {
  for (const state of ['pending', 'inflight'] as const) {
    const entries = await d.connector.crm.outbox.list({ state });
    if (entries.some((e) => JSON.stringify(e).includes(crmCallId))) return true;
  }
  return false;
}

function crmWritesFor(b: Bitrix24Double, crmCallId: string): string[] {
  return b.received
    .filter((r) => r.status === 200 && r.params.CALL_ID === crmCallId && r.method.toLowerCase() !== 'telephony.externalcall.register')
    .map((r) => `${r.method}${r.params.STATUS_CODE ? ` STATUS_CODE=${String(r.params.STATUS_CODE)}` : ''}`);
}

/** A readable report of the demo run. */
export function formatDemo(outcomes: readonly DemoOutcome[]): string {
  const lines: string[] = [];
  for (const o of outcomes) {
    lines.push(`● ${o.call.title}`);
    lines.push(`  user ${o.call.userId} → ${o.call.number}${o.call.line ? ` (line "${o.call.line}")` : ''}`);
    if (o.record) {
      for (const a of o.record.attempts) {
        lines.push(`  attempt ${a.attemptNo}: ${a.trunkId ?? '?'} [${a.tier ?? '-'}] ${a.dial} caller ID ${a.callerId ?? 'trunk default'} → ${a.dialStatus ?? '?'}${a.hangupCause ? ` cause ${a.hangupCause}` : ''}${a.decision ? ` (${a.decision})` : ''}`);
      }
      lines.push(`  result: STATUS_CODE ${o.record.statusCode}${o.record.failedReason ? ` (${o.record.failedReason})` : ''}, talk ${o.record.durationSec} s, cost ${o.record.cost ?? '-'} RUB`);
    } else {
      lines.push('  no call was placed');
    }
    lines.push(`  Bitrix24 received: ${o.crmWrites.length > 0 ? o.crmWrites.join(', ') : 'nothing'}`);
  }
  return lines.join('\n');
}
