import type { CallRecord } from '../../src/app/calls/call-record.ts';
import type { ChannelProbe } from '../../src/app/calls/route-service.ts';
import { agiSession, amiCapture, SESSIONS_OF } from './calls-captures.ts';
import type { CallsHarness } from './calls-harness.ts';

const DESK_CAPTURE = 'ami-11-desk-phone-call-busy.txt';

/** Probe answering like the lab's channel would. */
export function labProbe(linkedid: string, vars: Record<string, string>): ChannelProbe {
  return {
    read: async () => ({ callId: vars.CONNECTOR_CALL_ID ?? null, callerExtension: vars.CONNECTOR_EXTEN ?? null, linkedid }),
  };
}

/**
 * Plays one lab call through the product: the click-to-call (as the CRM would start it), the
 * route requests of its FastAGI sessions (in process), then its AMI events into the tracker.
 * Returns the call records the tracker produced.
 */
export async function replayLabCall(h: CallsHarness, capture: string): Promise<CallRecord[]> {
  const n = /^ami-(\d+)-/.exec(capture)?.[1] ?? '0';
  const id = `o${Number(n)}`;
  const desk = capture === DESK_CAPTURE;
  if (!desk) {
    const number = `+791600000${String(((Number(n) - 1) % 5) + 1).padStart(2, '0')}`;
    const r = await h.clickToCall({ crmCallId: `externalCall.lab.${id}`, number }, id);
    if (!r.ok) throw new Error(`click-to-call refused: ${r.message}`);
  }
  for (const s of SESSIONS_OF[capture] ?? []) {
    const t = agiSession(s);
    const uniqueid = t.vars.uniqueid ?? '';
    const linkedid = desk ? '1795439694.30' : uniqueid;
    await h.service.route(
      {
        exten: t.args[0] ?? '', attemptNo: Number(t.args[1]), dialStatus: t.args[2] ?? '',
        hangupCause: t.args[3] ? Number(t.args[3]) : null, uniqueid, callerIdNum: t.vars.callerid ?? null,
      },
      labProbe(linkedid, { CONNECTOR_EXTEN: '100' }),
    );
  }
  const records: CallRecord[] = [];
  const onEnded = (r: CallRecord): void => void records.push(r);
  h.tracker.on('call-ended', onEnded);
  for (const e of amiCapture(capture)) h.tracker.handle(e);
  await h.tracker.flush();
  h.tracker.off('call-ended', onEnded);
  return records;
}
