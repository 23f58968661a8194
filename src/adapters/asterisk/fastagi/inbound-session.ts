import type { Logger } from '../../logging/logger.ts';
import type { EndedCall, InboundStepAnswer, InboundStepQuery } from '../../../app/inbound/inbound-service.ts';
import type { MessageReport } from '../../../app/inbound/inbound-messages.ts';
import type { InboundAction } from '../../../core/scenarios/step-machine.ts';
import type { AgiConnection } from './connection.ts';
import { quoteArg, type AgiEnvironment } from './protocol.ts';

/** What the inbound script needs from the connector. */
export interface InboundStepPort {
  step(query: InboundStepQuery): InboundStepAnswer;
  /** The step with the CRM lookups it needs (a responsible manager); used when present. */
  stepWithCrm?(query: InboundStepQuery): Promise<InboundStepAnswer>;
  answered(linkedid: string, channel: string): void;
  ended(linkedid: string, recording: string | null, call?: EndedCall): void;
  /** A voicemail or fax the call left (reported from `h` just before `@end`). */
  message?(report: MessageReport): void;
}

/** The second argument of a report that is no step: a phone answered, the caller hung up. */
export const ANSWERED_EVENT = '@answered';
export const ENDED_EVENT = '@end';
/** `AGI(…,DID,@message,FILE,LINKEDID,STATE,DETAIL)`: the voicemail or fax file the call left. */
export const MESSAGE_EVENT = '@message';

/**
 * The fields of the INBOUND variable, in order (`${CUT(INBOUND,|,n)}` in extensions_inbound.conf):
 * ACTION|ARG|TIMEOUT|EXTRA|STATE|REASON.
 *   play     ARG file,        TIMEOUT seconds (empty = to its end)
 *   read     ARG prompt,      TIMEOUT seconds, EXTRA max digits
 *   dial     ARG dial string, TIMEOUT ring seconds, EXTRA 1 = record the call
 *   queue    ARG queue name,  TIMEOUT ring seconds, EXTRA 1 = record the call
 *   forward  ARG the number (E.164), TIMEOUT ring seconds, EXTRA the department
 *   probe    ARG devices joined by `&`: the dialplan answers their DEVICE_STATE()s as `/S1/S2`
 *   hangup / failopen        REASON
 *   voicemail ARG prompt (may be empty), TIMEOUT the message's maximum seconds, EXTRA 0 = an
 *            excluded number (never recorded: the step is passed over)
 *   fax      (nothing: ReceiveFAX into the recordings directory)
 * then OWNER|RUNG: the caller's responsible manager once known, a user this action rings (the
 * dialplan keeps the last non-empty ones and hands them back with the `h` report).
 */
export function inboundVariable(action: InboundAction, state: string, record = false, owners: { readonly responsible?: string | null; readonly rung?: string | null } = {}): string {
  // A reason is free text: `|` would split the fields, `"` would break the dialplan's $[…] test of INBOUND.
  const free = (v: string): string => v.replaceAll('|', '/').replaceAll('"', "'");
  const tail = owners.responsible || owners.rung ? `|${owners.responsible ?? ''}|${owners.rung ?? ''}` : '';
  const f = (a: string, t: string, e: string, reason = ''): string => [action.kind, a, t, e, state, free(reason)].join('|') + tail;
  switch (action.kind) {
    case 'play':
      return f(action.file, action.seconds === null ? '' : String(action.seconds), '');
    case 'read':
      return f(action.prompt ?? '', String(action.timeout), String(action.maxDigits));
    case 'dial':
      return f(action.dial, String(action.ringTime), record ? '1' : '0');
    case 'queue':
      return f(action.queue, String(action.ringTime), record ? '1' : '0');
    case 'forward':
      return f(action.number, String(action.ringTime), action.department ?? '');
    case 'probe':
      return f(action.devices.join('&'), '', '');
    case 'lookup':
      // The service resolves lookups itself; one reaching here is a connector bug: the call still reaches a human.
      return ['failopen', '', '', '', '', 'an unresolved CRM lookup'].join('|');
    case 'hangup':
    case 'failopen':
      return f('', '', '', action.reason);
    case 'voicemail':
      return f(action.prompt ?? '', String(action.maxSeconds), record ? '1' : '0');
    case 'fax':
      return f('', '', '');
  }
}

/**
 * `AGI(agi://HOST:4573/inbound,${DID},${INBOUND_STATE},${INBOUND_RESULT},${CHANNEL(linkedid)})`:
 * one decision, one SET VARIABLE INBOUND, close. A failure inside the connector answers
 * `failopen`; the dialplan fails open on its own when nothing usable comes back.
 */
export async function runInboundStep(conn: AgiConnection, env: AgiEnvironment, port: InboundStepPort, log: () => Logger): Promise<void> {
  const [did = '', state = '', result = '', linkedid = '', responsible = '', rung = ''] = env.args;
  const callerid = env.vars.callerid ?? '';
  if (state === MESSAGE_EVENT) {
    try {
      const [, , file = '', , at = '', detail = ''] = env.args;
      if (linkedid.trim() !== '' && file.trim() !== '') {
        port.message?.({ did: did.trim(), linkedid: linkedid.trim(), caller: callerid === '' || callerid === 'unknown' ? null : callerid, file: file.trim(), state: at.trim(), detail: detail.trim().slice(0, 64) });
      }
    } catch (err) {
      log().error({ err }, 'fastagi: an inbound message report failed inside the connector');
    }
    return;
  }
  if (state === ANSWERED_EVENT || state === ENDED_EVENT) {
    // Reports: nothing to answer (the ended one comes from the `h` extension, a dead channel).
    try {
      if (linkedid.trim() !== '') {
        if (state === ANSWERED_EVENT) port.answered(linkedid.trim(), result.trim());
        else {
          const owner = [responsible, rung].map((u) => u.trim()).find((u) => /^\d{1,10}$/.test(u)) ?? null;
          port.ended(linkedid.trim(), result.trim() === '' ? null : result.trim(), { did: did.trim(), caller: callerid === '' || callerid === 'unknown' ? null : callerid, owner });
        }
      }
    } catch (err) {
      log().error({ err }, 'fastagi: an inbound call report failed inside the connector');
    }
    return;
  }
  let answer: string;
  try {
    const query: InboundStepQuery = {
      did: did.trim(),
      state: state.trim(),
      result: result.trim().slice(0, 512),
      caller: callerid === '' || callerid === 'unknown' ? null : callerid,
      uniqueid: env.vars.uniqueid ?? '',
      linkedid: linkedid.trim() === '' ? null : linkedid.trim(),
    };
    const decided = port.stepWithCrm ? await port.stepWithCrm(query) : port.step(query);
    const a = decided.action;
    const ringing = a.kind === 'dial' || a.kind === 'queue' ? a.ringing : a.kind === 'forward' ? a.ringing ?? [] : [];
    answer = inboundVariable(a, decided.state, decided.record, { responsible: decided.decision?.owner ?? null, rung: ringing.find((r) => r.user !== null)?.user ?? null });
  } catch (err) {
    log().error({ err }, 'fastagi: inbound step failed inside the connector: answering fail-open');
    answer = inboundVariable({ kind: 'failopen', reason: 'connector error' }, '');
  }
  if (conn.hungUp) return;
  await conn.command(`SET VARIABLE INBOUND ${quoteArg(answer)}`);
}
